# The two set-up commands of the README, and a few helpers.
#   make demo   installs what is missing, builds release, runs the demonstration program
#   make test   installs what is missing, builds, runs every test (Swift, then Python)
.PHONY: setup build release demo test bench bench-cache format clean

DEMO ?= Examples/basic_usage.mind

setup:
	@bash scripts/setup.sh

build: setup
	swift build

release: setup
	swift build -c release

demo: release
	.build/release/mind jit $(DEMO)

test: setup
	swift build --build-tests
	swift test --skip-build
	bash scripts/python-tests.sh

bench: release
	bash bench/setup.sh
	python3 bench/run.py --only w1,w2,w3,w4,w5
	python3 bench/run.py --only w6,w7,w8,w9,w10,w11,w12,w13 --report more
	python3 bench/python_api.py

bench-cache: release
	python3 bench/cache_benchmark.py

format:
	swift format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
