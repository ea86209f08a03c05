# RTC_SANITIZE=ON builds everything with ASan + UBSan, and makes any UBSan report fatal so
# that a test which triggers undefined behaviour fails instead of printing and passing.
if(RTC_SANITIZE)
  set(RTC_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${RTC_SAN_FLAGS})
  add_link_options(${RTC_SAN_FLAGS})
endif()
