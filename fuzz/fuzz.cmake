# libFuzzer targets: fuzz/fuzz_<name>.c each define LLVMFuzzerTestOneInput.
# Seeds live in fuzz/corpus/fuzz_<name>/.  Build with clang (make fuzz).
file(GLOB WARD_FUZZ_TARGETS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(src ${WARD_FUZZ_TARGETS})
	get_filename_component(name ${src} NAME_WE)
	add_executable(${name} ${src})
	target_link_libraries(${name} PRIVATE ward_lib)
	if(name MATCHES "^fuzz_init_")
		target_link_libraries(${name} PRIVATE ward_init_logic)
	endif()
	target_compile_options(${name} PRIVATE ${WARD_WARNINGS} -fsanitize=fuzzer,address,undefined)
	target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
endforeach()
