# The pieces of libward that ward-init (PID 1) links, and nothing else:
# hashing, keys (public side), DSSE, bundles and the OMS verifier.  No
# libsodium, libcurl, libarchive or libyaml may reach PID 1.
set(WARD_INIT_LIB_SOURCES
	${CMAKE_SOURCE_DIR}/lib/core/error.c
	${CMAKE_SOURCE_DIR}/lib/core/mem.c
	${CMAKE_SOURCE_DIR}/lib/core/file.c
	${CMAKE_SOURCE_DIR}/lib/core/log.c
	${CMAKE_SOURCE_DIR}/lib/core/json.c
	${CMAKE_SOURCE_DIR}/lib/crypto/sha256.c
	${CMAKE_SOURCE_DIR}/lib/crypto/hasher.c
	${CMAKE_SOURCE_DIR}/lib/crypto/base64.c
	${CMAKE_SOURCE_DIR}/lib/crypto/keys.c
	${CMAKE_SOURCE_DIR}/lib/crypto/x509.c
	${CMAKE_SOURCE_DIR}/lib/crypto/dsse.c
	${CMAKE_SOURCE_DIR}/lib/crypto/bundle.c
	${CMAKE_SOURCE_DIR}/lib/oms/oms.c
	${CMAKE_SOURCE_DIR}/lib/oms/oms_walk.c
)

# The endpoint guard's built-in profiles (init/profiles/*.json) become a C
# table at configure time; a changed profile reconfigures.
file(GLOB WARD_GUARD_PROFILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/init/profiles/*.json)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${WARD_GUARD_PROFILES}
	${CMAKE_SOURCE_DIR}/init/profiles/embed.cmake)
set(WARD_GUARD_PROFILES_C ${CMAKE_BINARY_DIR}/generated/guard_profiles.c)
set(OUT ${WARD_GUARD_PROFILES_C})
set(IN ${WARD_GUARD_PROFILES})
include(${CMAKE_SOURCE_DIR}/init/profiles/embed.cmake)

# ward-init's own files whose logic is pure (no process-wide side effects;
# init/helper/ holds the unprivileged HTTP helper's, the only process that
# parses network bytes):
# built a second time as ward_init_logic, with sanitizers where those run,
# for the unit tests (tests/unit/test_init_*.c) and fuzz targets
# (fuzz/fuzz_init_*.c).
set(WARD_INIT_LOGIC_SOURCES
	${CMAKE_SOURCE_DIR}/init/policy.c
	${CMAKE_SOURCE_DIR}/init/sample.c
	${CMAKE_SOURCE_DIR}/init/seccomp_bpf.c
	${CMAKE_SOURCE_DIR}/init/exe.c
	${CMAKE_SOURCE_DIR}/init/jlog.c
	${CMAKE_SOURCE_DIR}/init/helper/http.c
	${CMAKE_SOURCE_DIR}/init/helper/metrics.c
	${CMAKE_SOURCE_DIR}/init/helper/guard_http.c
	${CMAKE_SOURCE_DIR}/init/guard_policy.c
	${CMAKE_SOURCE_DIR}/init/guard_route.c
	${CMAKE_SOURCE_DIR}/init/helper/guard_keys.c
	${CMAKE_SOURCE_DIR}/init/helper/guard_stats.c
	${CMAKE_SOURCE_DIR}/init/helper/guard.c
	${CMAKE_SOURCE_DIR}/init/helper/guard_request.c
	${CMAKE_SOURCE_DIR}/init/helper/guard_response.c
	${CMAKE_SOURCE_DIR}/init/helper/guard_tls.c
	${WARD_GUARD_PROFILES_C}
)
