#pragma once

#include <cstddef>
#include <string_view>

// Bounds on the JSON peers send us. RapidJSON's DOM parser and writer recurse once per nesting
// level, so without a bound a frame of "[[[[..." (16 MiB of it fits in one frame) overflows the
// stack; the check runs before any parser sees the text.
namespace rocketmq::protocol {

// RocketMQ bodies nest a handful of levels (ConsumerRunningInfo, the deepest, about six).
inline constexpr std::size_t kMaxJsonDepth = 100;

// Throws ProtocolError("malformed JSON <what>: nested deeper than <max_depth> levels at offset N")
// if objects and arrays of `text` nest deeper than `max_depth`. Brackets inside string literals do
// not count; the text is not validated otherwise (the parser does that).
void require_json_depth(std::string_view text, std::string_view what, std::size_t max_depth = kMaxJsonDepth);

}  // namespace rocketmq::protocol
