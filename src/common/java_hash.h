#pragma once

#include <cstdint>
#include <string_view>

namespace rocketmq::common {

// Java's String.hashCode() of the string whose UTF-8 bytes are `utf8`: h = 31*h + c over the UTF-16
// code units, wrapping in 32-bit two's complement. The broker stores TAGS.hashCode() in the consume
// queue and filters on it (docs/protocol.md §8.1), so the subscription's tag codes must match bit for bit.
// Characters outside the BMP contribute their two surrogate units. Malformed UTF-8 is replaced with
// U+FFFD per maximal invalid subsequence, like `new String(bytes, UTF_8)` does on the Java side.
std::int32_t java_string_hash(std::string_view utf8) noexcept;

}  // namespace rocketmq::common
