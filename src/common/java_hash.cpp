#include "common/java_hash.h"

#include <cstddef>

namespace rocketmq::common {
namespace {

constexpr char32_t kReplacementCharacter = 0xFFFD;

bool is_continuation(unsigned char byte) noexcept { return (byte & 0xC0) == 0x80; }

// Decodes one code point starting at `position` and advances past it. Invalid input yields U+FFFD and
// consumes the maximal prefix that could have started a valid sequence (at least one byte), which is
// how Java's UTF-8 decoder and the Unicode "maximal subpart" practice substitute.
char32_t decode_code_point(std::string_view bytes, std::size_t& position) noexcept {
  const auto lead = static_cast<unsigned char>(bytes[position]);
  ++position;
  if (lead < 0x80) return lead;

  std::size_t continuation_count = 0;
  char32_t code_point = 0;
  // The allowed range of the second byte excludes overlongs (E0, F0), surrogates (ED) and values
  // above U+10FFFF (F4).
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuation_count = 1;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuation_count = 2;
    code_point = lead & 0x0F;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuation_count = 3;
    code_point = lead & 0x07;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return kReplacementCharacter;  // stray continuation byte, C0/C1 overlong lead or F5..FF
  }

  for (std::size_t i = 0; i < continuation_count; ++i) {
    if (position >= bytes.size()) return kReplacementCharacter;
    const auto byte = static_cast<unsigned char>(bytes[position]);
    const bool valid = i == 0 ? (byte >= second_min && byte <= second_max) : is_continuation(byte);
    if (!valid) return kReplacementCharacter;  // the offending byte starts the next character
    code_point = (code_point << 6) | (byte & 0x3F);
    ++position;
  }
  return code_point;
}

}  // namespace

std::int32_t java_string_hash(std::string_view utf8) noexcept {
  // Unsigned arithmetic wraps exactly like Java's int overflow, without signed-overflow UB.
  std::uint32_t hash = 0;
  auto add_unit = [&hash](std::uint32_t unit) { hash = 31 * hash + unit; };
  std::size_t position = 0;
  while (position < utf8.size()) {
    const char32_t code_point = decode_code_point(utf8, position);
    if (code_point >= 0x10000) {
      const std::uint32_t offset = static_cast<std::uint32_t>(code_point) - 0x10000;
      add_unit(0xD800 + (offset >> 10));
      add_unit(0xDC00 + (offset & 0x3FF));
    } else {
      add_unit(static_cast<std::uint32_t>(code_point));
    }
  }
  return static_cast<std::int32_t>(hash);
}

}  // namespace rocketmq::common
