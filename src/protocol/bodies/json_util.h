#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

// Small helpers shared by the JSON body codecs: typed member access that throws
// rocketmq::ProtocolError naming the body and the member, and a compact writer.
namespace rocketmq {
namespace protocol {
namespace json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Throws ProtocolError("<context>: expected a JSON object") unless `value` is an object.
void require_object(const rapidjson::Value& value, const char* context);
void require_array(const rapidjson::Value& value, const char* context);

// nullptr when absent (or JSON null).
const rapidjson::Value* find_member(const rapidjson::Value& object, const char* name);
const rapidjson::Value& require_member(const rapidjson::Value& object, const char* name, const char* context);

// Conversions; the value may come from `find_member`/`require_member` of `name` (used in errors).
std::string to_string(const rapidjson::Value& value, const char* name, const char* context);
// Accepts JSON integers and decimal strings: fastjson's BrowserCompatible mode writes longs
// beyond ±2^53 as strings.
int64_t to_int64(const rapidjson::Value& value, const char* name, const char* context);
int32_t to_int32(const rapidjson::Value& value, const char* name, const char* context);
bool to_bool(const rapidjson::Value& value, const char* name, const char* context);
double to_double(const rapidjson::Value& value, const char* name, const char* context);

// Member readers: the required form throws when absent, the other returns `fallback`.
std::string get_string(const rapidjson::Value& object, const char* name, const char* context);
std::string get_string_or(const rapidjson::Value& object, const char* name, const char* context,
                          std::string fallback);
int64_t get_int64(const rapidjson::Value& object, const char* name, const char* context);
int64_t get_int64_or(const rapidjson::Value& object, const char* name, const char* context, int64_t fallback);
int32_t get_int32(const rapidjson::Value& object, const char* name, const char* context);
int32_t get_int32_or(const rapidjson::Value& object, const char* name, const char* context, int32_t fallback);
bool get_bool_or(const rapidjson::Value& object, const char* name, const char* context, bool fallback);
double get_double_or(const rapidjson::Value& object, const char* name, const char* context, double fallback);

// Writer::Key has no std::string overload in RapidJSON 1.1.
inline void write_key(Writer& writer, const std::string& key) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

// The text of a JSON string value (or member name) without copying.
inline std::string_view view_of(const rapidjson::Value& string_value) {
  return std::string_view(string_value.GetString(), string_value.GetStringLength());
}

// The compact JSON text of a value.
std::string to_compact_text(const rapidjson::Value& value);

// Parses a decimal map key such as the brokerAddrs broker id.
int64_t parse_int64_key(std::string_view key, const char* context);

}  // namespace json
}  // namespace protocol
}  // namespace rocketmq
