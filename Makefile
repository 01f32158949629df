# SeoulWorld: the two commands a newcomer needs are `make run` and `make test`.
# Both install what is missing first (libuv and pkg-config, through apt-get).

SWIFT ?= swift
ARGS ?=

.PHONY: deps build run simulate test bench fuzz clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

# Runs the server on the embedded defaults: every space of worlds/ on 127.0.0.1:7777
# (TCP and UDP), until Ctrl-C.
run: deps
	$(SWIFT) run -c release seoulworld serve $(ARGS)

# A simulated crowd in process, no network.
simulate: deps
	$(SWIFT) run -c release seoulworld simulate $(ARGS)

# The whole test suite (Swift Testing). The build comes first so that the seoulworld binary
# exists: the crash test runs it as a child process and kills it.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --disable-xctest

# The step benchmarks (a separate package under Benchmarks/; release build, several minutes).
bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark $(ARGS)

# Every decoder that takes bytes from outside, under libFuzzer and address sanitizer
# (Fuzz/, scripts/fuzz.sh): FUZZ_SECONDS each (default 60). Not part of `make test`.
fuzz: deps
	scripts/fuzz.sh

clean:
	rm -rf .build Benchmarks/.build .build-fuzz
