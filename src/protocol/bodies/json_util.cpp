#include "protocol/bodies/json_util.h"

#include <charconv>

#include "rocketmq/error.h"

namespace rocketmq {
namespace protocol {
namespace json {
namespace {

[[noreturn]] void fail(const char* context, const char* name, const std::string& problem) {
  std::string what(context);
  if (name != nullptr && *name != '\0') what += std::string(": member '") + name + "'";
  throw ProtocolError(what + ": " + problem);
}

bool parse_decimal(std::string_view text, int64_t& value) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  return ec == std::errc() && ptr == end && begin != end;
}

}  // namespace

void require_object(const rapidjson::Value& value, const char* context) {
  if (!value.IsObject()) fail(context, nullptr, "expected a JSON object");
}

void require_array(const rapidjson::Value& value, const char* context) {
  if (!value.IsArray()) fail(context, nullptr, "expected a JSON array");
}

const rapidjson::Value* find_member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

const rapidjson::Value& require_member(const rapidjson::Value& object, const char* name,
                                       const char* context) {
  require_object(object, context);
  const rapidjson::Value* value = find_member(object, name);
  if (value == nullptr) fail(context, name, "is missing");
  return *value;
}

std::string to_string(const rapidjson::Value& value, const char* name, const char* context) {
  if (!value.IsString()) fail(context, name, "expected a string");
  return std::string(value.GetString(), value.GetStringLength());
}

int64_t to_int64(const rapidjson::Value& value, const char* name, const char* context) {
  if (value.IsInt64()) return value.GetInt64();
  int64_t parsed = 0;
  if (value.IsString() && parse_decimal(view_of(value), parsed)) {
    return parsed;
  }
  fail(context, name, "expected a 64-bit integer");
}

int32_t to_int32(const rapidjson::Value& value, const char* name, const char* context) {
  if (value.IsInt()) return value.GetInt();
  int64_t parsed = 0;
  if (value.IsString() && parse_decimal(view_of(value), parsed) &&
      parsed >= INT32_MIN && parsed <= INT32_MAX) {
    return static_cast<int32_t>(parsed);
  }
  fail(context, name, "expected a 32-bit integer");
}

bool to_bool(const rapidjson::Value& value, const char* name, const char* context) {
  if (value.IsBool()) return value.GetBool();
  if (value.IsString()) {
    std::string_view text(value.GetString(), value.GetStringLength());
    if (text == "true") return true;
    if (text == "false") return false;
  }
  fail(context, name, "expected a boolean");
}

double to_double(const rapidjson::Value& value, const char* name, const char* context) {
  if (value.IsNumber()) return value.GetDouble();
  fail(context, name, "expected a number");
}

std::string get_string(const rapidjson::Value& object, const char* name, const char* context) {
  return to_string(require_member(object, name, context), name, context);
}

std::string get_string_or(const rapidjson::Value& object, const char* name, const char* context,
                          std::string fallback) {
  const rapidjson::Value* value = find_member(object, name);
  return value == nullptr ? std::move(fallback) : to_string(*value, name, context);
}

int64_t get_int64(const rapidjson::Value& object, const char* name, const char* context) {
  return to_int64(require_member(object, name, context), name, context);
}

int64_t get_int64_or(const rapidjson::Value& object, const char* name, const char* context,
                     int64_t fallback) {
  const rapidjson::Value* value = find_member(object, name);
  return value == nullptr ? fallback : to_int64(*value, name, context);
}

int32_t get_int32(const rapidjson::Value& object, const char* name, const char* context) {
  return to_int32(require_member(object, name, context), name, context);
}

int32_t get_int32_or(const rapidjson::Value& object, const char* name, const char* context,
                     int32_t fallback) {
  const rapidjson::Value* value = find_member(object, name);
  return value == nullptr ? fallback : to_int32(*value, name, context);
}

bool get_bool_or(const rapidjson::Value& object, const char* name, const char* context, bool fallback) {
  const rapidjson::Value* value = find_member(object, name);
  return value == nullptr ? fallback : to_bool(*value, name, context);
}

double get_double_or(const rapidjson::Value& object, const char* name, const char* context, double fallback) {
  const rapidjson::Value* value = find_member(object, name);
  return value == nullptr ? fallback : to_double(*value, name, context);
}

std::string to_compact_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

int64_t parse_int64_key(std::string_view key, const char* context) {
  int64_t parsed = 0;
  if (!parse_decimal(key, parsed)) {
    throw ProtocolError(std::string(context) + ": map key '" + std::string(key) + "' is not an integer");
  }
  return parsed;
}

}  // namespace json
}  // namespace protocol
}  // namespace rocketmq
