# SeoulWorld: the two commands a newcomer needs are `make run` and `make test`.
# Both install what is missing first (libuv and pkg-config, through apt-get).

SWIFT ?= swift
ARGS ?=

.PHONY: deps build run simulate simulate-city test e2e bench fuzz sanitize clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

# Runs the server on the embedded defaults: every space of worlds/ on 127.0.0.1:7777
# (TCP and UDP), the admin side (metrics, health, the live map) on http://127.0.0.1:7780/,
# until Ctrl-C.
run: deps
	$(SWIFT) run -c release seoulworld serve $(ARGS)

# A simulated crowd in process, no network.
simulate: deps
	$(SWIFT) run -c release seoulworld simulate $(ARGS)

# The whole server on virtual time with simulated citizens, staff and an operator, the
# invariants checked after every step (README, "The whole server on virtual time"): SEEDS
# seeds (default 20) of MINUTES simulated minutes (default 30), 200 clients; about 25 minutes on
# the project's 2-core machine. Not part of `make test`, which runs three short seeds.
simulate-city: deps
	$(SWIFT) run -c release seoulworld simulate-city --seeds $${SEEDS:-20} --minutes $${MINUTES:-30} $(ARGS)

# The whole test suite (Swift Testing). The build comes first so that the seoulworld binary
# exists: the crash test runs it as a child process and kills it; the tests then run on that
# build (`--skip-build`: `swift test` would build again, 20 s on a fresh clone). The tests'
# temporary files (databases, logs, recordings, the throwaway PostgreSQL) go into one folder of this run's,
# readable by the users the tests run things as (postgres, nobody), removed when they end.
test:
	@scripts/install-deps.sh --test
	$(SWIFT) build --build-tests
	@scratch=$$(mktemp -d /tmp/seoulworld-tests.XXXXXX) && chmod 755 "$$scratch" && \
	    echo "$(SWIFT) test --disable-xctest --skip-build  (temporary files in $$scratch)" && \
	    TMPDIR="$$scratch" $(SWIFT) test --disable-xctest --skip-build; status=$$?; rm -rf "$$scratch"; exit $$status

# The admin page in headless Chromium (scripts/e2e.py; docs/ADMIN.md): a server, BOTS bots
# (default 200), the page's own view of them checked, a screenshot in .build/e2e-map.png.
# Uses the debug build `make test` made, built the same way (with the tests): usually nothing to
# do (8 s), though one fresh-clone run compiled Hummingbird's module again (26 s), reason unknown;
# SEOULWORLD=.build/release/seoulworld BOTS=1000 for a crowd.
e2e:
	@scripts/install-deps.sh --e2e
	$(SWIFT) build --build-tests
	SEOULWORLD=$${SEOULWORLD:-.build/debug/seoulworld} python3 scripts/e2e.py

# The step benchmarks (a separate package under Benchmarks/; release build, several minutes).
bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark $(ARGS)

# Every decoder that takes bytes from outside, under libFuzzer and address sanitizer
# (Fuzz/, scripts/fuzz.sh): FUZZ_SECONDS each (default 60). Not part of `make test`.
fuzz: deps
	scripts/fuzz.sh

# The transport's tests (libuv handles opened, closed twice, closed after closeAll) and the
# loop mailbox's under address sanitizer, in a build folder of their own (.build-asan; a first
# build takes several minutes). A use after free or a double free fails the run. Not part of
# `make test`.
sanitize: deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	$(SWIFT) test --disable-xctest --skip-build --sanitize=address --scratch-path .build-asan --filter 'TransportTests|LoopMailboxTests'

clean:
	rm -rf .build Benchmarks/.build .build-fuzz .build-asan
