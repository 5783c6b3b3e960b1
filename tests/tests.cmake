# Tests.  Three kinds, all run by ctest (make check):
#  - tests/unit/test_*.c: cmocka unit tests, one executable each (label unit)
#  - tests/sh/*.sh: the real ward binary against real tools (label sh)
#  - tests/e2e/*.sh: heavy end-to-end runs, e.g. the PyTorch image (label e2e,
#    excluded from make check, run by make check-e2e)
# Shell tests get WARD, WARD_INIT, WARD_SRC, WARD_SHARED and a scratch
# directory in WARD_TMP; tests/sh/lib.sh holds their helpers.
find_library(CMOCKA_LIB cmocka REQUIRED)

# Shared test data: ../shared beside the checkout when present, else the
# copy vendored under tests/data/shared.
if(NOT WARD_SHARED)
	if(EXISTS ${CMAKE_SOURCE_DIR}/../shared/interop)
		get_filename_component(WARD_SHARED ${CMAKE_SOURCE_DIR}/../shared ABSOLUTE)
	else()
		set(WARD_SHARED ${CMAKE_SOURCE_DIR}/tests/data/shared)
	endif()
endif()


file(GLOB WARD_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(src ${WARD_UNIT_TESTS})
	get_filename_component(name ${src} NAME_WE)
	add_executable(${name} ${src})
	target_link_libraries(${name} PRIVATE ward_lib ${CMOCKA_LIB})
	if(name MATCHES "^test_(init|deploy)_")
		target_link_libraries(${name} PRIVATE ward_init_logic)
	endif()
	ward_flags(${name})
	add_test(NAME unit/${name} COMMAND ${name})
	set_tests_properties(unit/${name} PROPERTIES LABELS unit
		ENVIRONMENT "WARD_SRC=${CMAKE_SOURCE_DIR};WARD_SHARED=${WARD_SHARED}")
endforeach()

function(ward_shell_tests dir label)
	file(GLOB scripts CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${dir}/test_*.sh)
	foreach(script ${scripts})
		get_filename_component(name ${script} NAME_WE)
		add_test(NAME ${dir}/${name} COMMAND bash ${script})
		set_tests_properties(${dir}/${name} PROPERTIES LABELS ${label}
			ENVIRONMENT "WARD=${CMAKE_BINARY_DIR}/bin/ward;WARD_INIT=${CMAKE_BINARY_DIR}/bin/ward-init;WARD_SRC=${CMAKE_SOURCE_DIR};WARD_SHARED=${WARD_SHARED};WARD_BUILD=${CMAKE_BINARY_DIR}")
	endforeach()
endfunction()
ward_shell_tests(sh sh)
ward_shell_tests(e2e e2e)

# Every fuzz target also builds as a plain program that replays its seed
# corpus, so the targets cannot rot between fuzzing runs.
file(GLOB WARD_FUZZ_TARGETS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(src ${WARD_FUZZ_TARGETS})
	get_filename_component(name ${src} NAME_WE)
	add_executable(${name}_replay ${src} ${CMAKE_SOURCE_DIR}/fuzz/replay_main.c)
	target_link_libraries(${name}_replay PRIVATE ward_lib)
	if(name MATCHES "^fuzz_init_")
		target_link_libraries(${name}_replay PRIVATE ward_init_logic)
	endif()
	ward_flags(${name}_replay)
	add_test(NAME fuzz/${name} COMMAND ${name}_replay ${CMAKE_SOURCE_DIR}/fuzz/corpus/${name})
	set_tests_properties(fuzz/${name} PROPERTIES LABELS fuzz)
endforeach()

# The endpoint guard alone (tests/tools/guard_drive.c): the shell tests and
# bench/guard.sh drive init/helper/guard*.c through it with stand-in upstreams.
add_executable(guard_drive ${CMAKE_SOURCE_DIR}/tests/tools/guard_drive.c)
target_link_libraries(guard_drive PRIVATE ward_init_logic)
ward_flags(guard_drive)
