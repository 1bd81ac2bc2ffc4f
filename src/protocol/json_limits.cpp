// The nesting pre-check for JSON texts (see json_limits.h). It follows strings exactly as RapidJSON
// does (a backslash always takes the next byte with it), so it never sees fewer open brackets than
// the parser would descend into before failing.
#include "protocol/json_limits.h"

#include <string>

#include "rocketmq/error.h"

namespace rocketmq::protocol {

void require_json_depth(std::string_view text, std::string_view what, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        throw ProtocolError("malformed JSON " + std::string(what) + ": nested deeper than " +
                            std::to_string(max_depth) + " levels at offset " + std::to_string(i));
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
}

}  // namespace rocketmq::protocol
