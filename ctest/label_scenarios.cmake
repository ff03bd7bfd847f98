# Included by ctest after the autoscale suite's tests are discovered (see
# test/autoscale/CMakeLists.txt): gives each scenario its labels by name.
# (gtest_discover_tests flattens a list-valued LABELS property, so labels are
# set here, one set_tests_properties per test.)
#   Autoscale/...  autoscale, plus grow and/or shrink by its ops
#   Setup/...      autoscale, setup
#   LogLines/...   loglines, plus grow and/or shrink
#   Extra/...      extra, plus grow and/or shrink
foreach(test IN LISTS autoscale_suite_TESTS)
  set(labels "")
  if(test MATCHES "^Autoscale/")
    list(APPEND labels autoscale)
  elseif(test MATCHES "^Setup/")
    list(APPEND labels autoscale setup)
  elseif(test MATCHES "^LogLines/")
    list(APPEND labels loglines)
  elseif(test MATCHES "^Extra/")
    list(APPEND labels extra)
  endif()
  if(test MATCHES "grow_by_")
    list(APPEND labels grow)
  endif()
  if(test MATCHES "shrink_by_")
    list(APPEND labels shrink)
  endif()
  set_tests_properties("${test}" PROPERTIES LABELS "${labels}")
endforeach()
