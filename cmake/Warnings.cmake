# Strict warnings for our own targets only (third-party headers come in as system includes).
set(RTC_WARNING_FLAGS
  -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
  -Wpointer-arith -Wcast-qual -Wvla -Wundef)
if(RTC_WERROR)
  list(APPEND RTC_WARNING_FLAGS -Werror)
endif()

function(rtc_strict target)
  target_compile_options(${target} PRIVATE ${RTC_WARNING_FLAGS})
  target_compile_definitions(${target} PRIVATE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
endfunction()
