# SeoulWorld: the two commands a newcomer needs are `make run` and `make test`.
# Both install what is missing first (libuv and pkg-config, through apt-get).

SWIFT ?= swift
ARGS ?=

.PHONY: deps build run test bench clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

# Runs the main job on the embedded defaults: for now a simulated plaza crowd.
run: deps
	$(SWIFT) run -c release seoulworld simulate $(ARGS)

# The whole test suite (Swift Testing).
test: deps
	$(SWIFT) test --disable-xctest

# The step benchmarks (a separate package under Benchmarks/; release build, several minutes).
bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark $(ARGS)

clean:
	rm -rf .build Benchmarks/.build
