// libFuzzer entry point for the solve target (native/fuzz/targets.h says what it checks).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return softnewton::fuzz::solveTarget(data, size);
}
