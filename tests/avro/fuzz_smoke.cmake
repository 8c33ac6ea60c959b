# fuzz_smoke.cmake — a short libFuzzer run of fuzz_avro_reader, as a CTest test.
# -DGEN=avro_gen -DFUZZ=fuzz_avro_reader -DDIR=corpus directory (recreated on every run).
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
execute_process(COMMAND ${GEN} ${DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "avro_gen could not write the seed corpus (${rc})")
endif()
execute_process(COMMAND ${FUZZ} -runs=20000 -seed=1 -max_len=16384 ${DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fuzz_avro_reader failed (${rc})")
endif()
