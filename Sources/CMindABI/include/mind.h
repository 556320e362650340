/* libmind: the C interface of the mind JIT compiler (Sources/MindC implements it).
 *
 * A session holds a MIND program; a function is any MIND expression that denotes a function
 * ("loss", "grad(loss, wrt=(0, 1))", "vmap(f)"); calling it with arrays specializes it for their
 * shapes on the first call (compiled by the JIT, or loaded from the object cache) and reuses the
 * specialization afterwards.
 *
 * Arguments are the leaves of the function's parameters: a tensor parameter takes one array, a
 * struct parameter one array per field, depth first in declaration order (mind_function_parameters
 * describes them). C-contiguous arrays are read in place and must not change during the call;
 * others (strides given) are copied once. Results are written into memory the library allocates
 * (one block for all the results of a call); the caller frees it with mind_results_free.
 *
 * Threads: every function is safe to call from any thread. Calls into one session are
 * serialized (its specializations are compiled and looked up under a lock); different sessions
 * run in parallel. The last error is per thread.
 */
#ifndef MIND_H
#define MIND_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { MIND_F32 = 0, MIND_F64 = 1, MIND_I32 = 2, MIND_I64 = 3, MIND_BOOL = 4 };

/* Flags of mind_session_new and mind_session_open. */
enum {
  MIND_IEEE_SUBNORMALS = 1, /* keep IEEE subnormals (by default they are flushed to zero) */
  MIND_NO_TIERS = 2         /* compile optimized code before the first call */
};

typedef struct mind_session mind_session;
typedef struct mind_function mind_function;

/* An argument: `rank` extents and, unless `strides` is NULL (C-contiguous), strides in bytes. */
typedef struct mind_array {
  const void *data;
  int32_t dtype;
  int32_t rank;
  const int64_t *extents;
  const int64_t *strides;
} mind_array;

/* A result: its leaf name (a struct field's, dotted when nested; a tuple element's position;
 * "" for a lone tensor), dtype, extents and data, valid until mind_results_free. `owner` is the
 * same for all the results of one call. */
typedef struct mind_result {
  const char *name;
  void *data;
  int32_t dtype;
  int32_t rank;
  const int64_t *extents;
  void *owner;
} mind_result;

/* A session on MIND source text (`name` is the file name in diagnostics) or on a file (whose
 * imports are resolved beside it). `cache_directory`: NULL for the default object cache
 * ($MIND_CACHE_DIR, else ~/.cache/mind), "" for none. NULL on error (see mind_last_error). */
mind_session *mind_session_new(const char *source, const char *name, const char *cache_directory, int32_t flags);
mind_session *mind_session_open(const char *path, const char *cache_directory, int32_t flags);
/* Frees the session once the optimized code being built in the background is done (and stored
 * in the cache). */
void mind_session_free(mind_session *session);

/* A function of the session; NULL on error. It keeps its session alive. */
mind_function *mind_function_new(mind_session *session, const char *expression);
void mind_function_free(mind_function *function);

/* The function's parameters as JSON: [{"name": "p", "layout": L}, ...] where L is
 * {"tensor": "Tensor<f32, N>", "dtype": "f32"} (nulls when undeclared), {"tuple": [L, ...]} or
 * {"struct": "MLP", "fields": [{"name": "w", "layout": L}, ...]}. Valid while the function
 * lives; NULL on error. */
const char *mind_function_parameters(mind_function *function);

/* Calls the function; returns 0 and sets *results (an array of *count results), or returns 1
 * after an error (see mind_last_error). */
int32_t mind_call(
    mind_function *function, const mind_array *arguments, int64_t argument_count, mind_result **results,
    int64_t *count);
void mind_results_free(mind_result *results, int64_t count);

/* The address the last call of `function` read argument `index` from (to check that an array
 * was read in place); NULL if there is no such argument. */
const void *mind_function_last_argument(mind_function *function, int64_t index);

/* How many specializations the session loaded from the object cache, and how many it compiled. */
int64_t mind_session_cache_hits(mind_session *session);
int64_t mind_session_compilations(mind_session *session);

/* The located diagnostic of the last error on this thread, and its code (E2001, ...); "" if none. */
const char *mind_last_error(void);
const char *mind_last_error_code(void);

#ifdef __cplusplus
}
#endif

#endif
