"""Puts libmindc.so into the package when it is built ($MIND_LIBRARY if set, else the
repository's release build, made with `swift build -c release --product mindc` if missing), and
compiles the call path `mind._fastcall` against NumPy's C API and mind.h."""
import os
import shutil
import subprocess

import numpy
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class BuildWithLibrary(build_py):
    def run(self):
        library = os.environ.get("MIND_LIBRARY") or os.path.join(ROOT, ".build", "release", "libmindc.so")
        if not os.path.exists(library):
            subprocess.run(["swift", "build", "-c", "release", "--product", "mindc"], cwd=ROOT, check=True)
        shutil.copy(library, os.path.join(HERE, "mind", "libmindc.so"))
        super().run()


setup(
    cmdclass={"build_py": BuildWithLibrary},
    ext_modules=[
        Extension(
            "mind._fastcall", ["mind/_fastcall.c"],
            include_dirs=[numpy.get_include(), os.path.join(ROOT, "Sources", "CMindABI", "include")],
            extra_compile_args=["-O2"],
        )
    ],
)
