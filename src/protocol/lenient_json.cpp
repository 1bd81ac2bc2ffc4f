#include "protocol/lenient_json.h"

#include <cctype>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/json_limits.h"
#include "rocketmq/error.h"

namespace rocketmq {
namespace protocol {
namespace {

// Object keys inside object keys. Each level escapes the text of the levels below it once more, so
// the output can double per level; Java peers only ever write one level (MessageQueue keys).
constexpr int kMaxObjectKeyDepth = 2;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Index just past the string literal that starts with the quote at `start`.
size_t skip_string(std::string_view text, size_t start) {
  for (size_t i = start + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  throw ProtocolError("malformed JSON: unterminated string starting at offset " + std::to_string(start));
}

// Index just past the object or array that starts at `start`.
size_t skip_composite(std::string_view text, size_t start) {
  int depth = 0;
  size_t i = start;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      i = skip_string(text, i);
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
    ++i;
  }
  throw ProtocolError("malformed JSON: unterminated object key starting at offset " + std::to_string(start));
}

bool is_bare_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.' || c == '_' ||
         c == '$';
}

void append_json_string(std::string& out, std::string_view raw) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(raw.data(), static_cast<rapidjson::SizeType>(raw.size()));
  out.append(buffer.GetString(), buffer.GetSize());
}

rapidjson::Document parse_strict(std::string_view normalized, std::string_view what) {
  require_json_depth(normalized, what);
  rapidjson::Document document;
  document.Parse(normalized.data(), normalized.size());
  if (document.HasParseError()) {
    throw ProtocolError("malformed JSON " + std::string(what) + ": " +
                        rapidjson::GetParseError_En(document.GetParseError()) + " at offset " +
                        std::to_string(document.GetErrorOffset()));
  }
  return document;
}

std::string compact_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string normalize(std::string_view text, int key_depth) {
  std::string out;
  out.reserve(text.size() + 16);
  // One entry per open container: true for an object. `expect_key` is true right after '{' or a
  // ',' inside an object, i.e. where a member name has to come next.
  std::vector<bool> in_object;
  bool expect_key = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (is_space(c)) {
      out.push_back(c);
      ++i;
      continue;
    }
    if (expect_key && c != '}') {
      expect_key = false;
      if (c == '"') {
        size_t end = skip_string(text, i);
        out.append(text.substr(i, end - i));
        i = end;
      } else if (c == '{' || c == '[') {
        if (key_depth >= kMaxObjectKeyDepth) {
          throw ProtocolError("malformed JSON: object keys nested more than " +
                              std::to_string(kMaxObjectKeyDepth) + " deep at offset " + std::to_string(i));
        }
        size_t end = skip_composite(text, i);
        std::string key_json = normalize(text.substr(i, end - i), key_depth + 1);
        append_json_string(out, compact_json(parse_strict(key_json, "in an object key")));
        i = end;
      } else if (is_bare_key_char(c)) {
        size_t end = i;
        while (end < text.size() && is_bare_key_char(text[end])) ++end;
        append_json_string(out, text.substr(i, end - i));
        i = end;
      } else {
        // Not a key at all; copy it and let the parser report the position.
        out.push_back(c);
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': {
        size_t end = skip_string(text, i);
        out.append(text.substr(i, end - i));
        i = end;
        continue;
      }
      case '{':
        in_object.push_back(true);
        expect_key = true;
        break;
      case '[':
        in_object.push_back(false);
        break;
      case '}':
      case ']':
        if (!in_object.empty()) in_object.pop_back();
        expect_key = false;
        break;
      case ',':
        expect_key = !in_object.empty() && in_object.back();
        break;
      default:
        break;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

}  // namespace

std::string normalize_fastjson(std::string_view text) { return normalize(text, 0); }

rapidjson::Document parse_lenient_json(std::string_view text) {
  return parse_strict(normalize_fastjson(text), "body");
}

MessageQueue parse_message_queue_key(std::string_view key) {
  rapidjson::Document document = parse_strict(key, "in a message queue key");
  return message_queue_from_json(document, "message queue key");
}

}  // namespace protocol
}  // namespace rocketmq
