// libFuzzer target: arbitrary text as a label selector (`?labelSelector=` of every REST list and
// watch). Must never crash, hang or leak; a selector that parses prints back (String()) to text
// that parses to the same selector and prints the same; a refusal is InvalidArgument on the
// labelSelector field naming a position.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/service/label_selector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using gantry::api::LabelSelector;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto selector = LabelSelector::Parse(text);
  if (!selector.ok()) {
    const auto& st = selector.status();
    if (st.code() != gantry::api::Code::kInvalidArgument) __builtin_trap();
    if (st.field() != "labelSelector") __builtin_trap();
    if (st.message().find(" at position ") == std::string::npos) __builtin_trap();
    return 0;
  }
  const std::string printed = selector->String();
  auto again = LabelSelector::Parse(printed);
  if (!again.ok()) __builtin_trap();
  if (!(*again == *selector)) __builtin_trap();
  if (again->String() != printed) __builtin_trap();
  if (selector->empty() != printed.empty()) __builtin_trap();
  return 0;
}
