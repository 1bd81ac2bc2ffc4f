#include "protocol/message_properties.h"

#include <tuple>
#include <utility>

#include "protocol/message_const.h"
#include "rocketmq/error.h"

namespace rocketmq::protocol {
namespace {

bool contains_separator(std::string_view text) noexcept {
  return text.find(message_property::kNameValueSeparator) != std::string_view::npos ||
         text.find(message_property::kPropertySeparator) != std::string_view::npos;
}

}  // namespace

std::string encode_properties(const MessageProperties& properties) {
  std::string encoded;
  for (const auto& [name, value] : properties) {
    if (name.empty()) throw ClientError("message property name must not be empty");
    if (contains_separator(name) || contains_separator(value)) {
      throw ClientError("message property '" + name + "' contains a reserved separator byte (0x01 or 0x02)");
    }
    encoded.append(name);
    encoded.push_back(message_property::kNameValueSeparator);
    encoded.append(value);
    encoded.push_back(message_property::kPropertySeparator);
  }
  return encoded;
}

MessageProperties decode_properties(std::string_view encoded) {
  MessageProperties properties;
  std::size_t segment_start = 0;
  while (segment_start < encoded.size()) {
    std::size_t segment_end = encoded.find(message_property::kPropertySeparator, segment_start);
    if (segment_end == std::string_view::npos) segment_end = encoded.size();
    const std::string_view segment = encoded.substr(segment_start, segment_end - segment_start);
    if (segment.size() >= 3) {
      const std::size_t separator = segment.find(message_property::kNameValueSeparator);
      if (separator != std::string_view::npos && separator > 0 && separator < segment.size() - 1) {
        // One key string and one value string per property (operator[] with temporaries built a
        // second value and assigned it): this runs for every pulled message on the I/O thread.
        // Encoders write names in sorted order (ours from a std::map, the broker's usually too), so
        // a name after the last one goes in at the end without a search from the root.
        const auto name = segment.substr(0, separator);
        const auto value = segment.substr(separator + 1);
        if (properties.empty() || properties.rbegin()->first < name) {
          properties.emplace_hint(properties.end(), std::piecewise_construct, std::forward_as_tuple(name),
                                  std::forward_as_tuple(value));
        } else {
          properties.try_emplace(std::string(name)).first->second.assign(value.data(), value.size());
        }
      }
    }
    segment_start = segment_end + 1;
  }
  return properties;
}

}  // namespace rocketmq::protocol
