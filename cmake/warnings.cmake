# Compiler warnings applied to every project target through hg_set_warnings().
function(hg_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                         -Wnon-virtual-dtor -Wno-missing-field-initializers)
  if(HG_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
