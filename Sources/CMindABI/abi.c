// The C declarations of libmind live in include/mind.h; this target only carries them.
