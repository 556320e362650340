"""Puts libmindc.so into the package when it is built: $MIND_LIBRARY if set, else the
repository's release build, made with `swift build -c release --product mindc` if missing."""
import os
import shutil
import subprocess

from setuptools import setup
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


setup(cmdclass={"build_py": BuildWithLibrary})
