#include "remoting/remoting_command.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <vector>

#include "common/byte_buffer.h"
#include "protocol/json_limits.h"
#include "rocketmq/error.h"

namespace rocketmq::remoting {
namespace {

constexpr std::array<const char*, 14> kLanguageNames = {"JAVA", "CPP",  "DOTNET", "PYTHON", "DELPHI",
                                                        "ERLANG", "RUBY", "OTHER",  "HTTP",   "GO",
                                                        "PHP",  "OMS",  "RUST",   "NODE_JS"};

// The binary header writes code and version as 16-bit values.
void require_short(std::int32_t value, const char* field) {
  if (value < std::numeric_limits<std::int16_t>::min() || value > std::numeric_limits<std::int16_t>::max()) {
    throw ClientError(std::string("cannot encode ") + field + " " + std::to_string(value) +
                      " in a ROCKETMQ binary header (16 bits); use the JSON header");
  }
}

// The parsed header: its values in a buffer on the decoding thread's stack, and the parser's own
// stacks in a second one. A default Document mallocs a 64 KiB chunk per parse, which on the I/O
// thread made glibc consolidate its fast bins for every frame (malloc_consolidate was ~4 % of a
// drain's I/O thread), and a heap block for its stack. A header beyond the buffers still parses;
// RapidJSON then adds heap chunks.
using HeaderAllocator = rapidjson::MemoryPoolAllocator<>;
using HeaderDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, HeaderAllocator, HeaderAllocator>;

// Builds the document from the parser's events, refusing to nest deeper than kMaxJsonDepth as the
// parser goes: neither RapidJSON's recursion (one call frame per level, enough for a header of
// '[' to overflow the I/O thread's stack) nor its parse stacks (a gigabyte for 16 MiB of '[')
// ever see more than that many levels, and no text is scanned twice for it.
class DepthLimitedHandler {
 public:
  explicit DepthLimitedHandler(HeaderDocument& document) noexcept : document_(document) {}

  bool too_deep() const noexcept { return too_deep_; }

  bool Null() { return document_.Null(); }
  bool Bool(bool value) { return document_.Bool(value); }
  bool Int(int value) { return document_.Int(value); }
  bool Uint(unsigned value) { return document_.Uint(value); }
  bool Int64(std::int64_t value) { return document_.Int64(value); }
  bool Uint64(std::uint64_t value) { return document_.Uint64(value); }
  bool Double(double value) { return document_.Double(value); }
  bool RawNumber(const char* text, rapidjson::SizeType length, bool copy) {
    return document_.RawNumber(text, length, copy);
  }
  bool String(const char* text, rapidjson::SizeType length, bool copy) { return document_.String(text, length, copy); }
  bool Key(const char* text, rapidjson::SizeType length, bool copy) { return document_.Key(text, length, copy); }
  bool StartObject() { return enter() && document_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return document_.EndObject(members);
  }
  bool StartArray() { return enter() && document_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return document_.EndArray(elements);
  }

 private:
  bool enter() noexcept {
    if (++depth_ <= protocol::kMaxJsonDepth) return true;
    too_deep_ = true;
    return false;
  }

  HeaderDocument& document_;
  std::size_t depth_ = 0;
  bool too_deep_ = false;
};

std::string json_value_to_string(const rapidjson::Value& value) {
  if (value.IsString()) return std::string(value.GetString(), value.GetStringLength());
  if (value.IsBool()) return value.GetBool() ? "true" : "false";
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  if (value.IsUint64()) return std::to_string(value.GetUint64());
  if (value.IsDouble()) return std::to_string(value.GetDouble());
  if (value.IsNull()) return std::string();
  // An object or array where Java sends a string: written out (recursively, at most kMaxJsonDepth
  // levels, which the parse enforced).
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::int32_t json_int(const rapidjson::Value& object, const char* name, bool required) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) {
    if (required) throw ProtocolError(std::string("malformed JSON header: missing \"") + name + "\"");
    return 0;
  }
  if (it->value.IsInt()) return it->value.GetInt();
  if (it->value.IsString()) {
    try {
      const long value = std::stol(it->value.GetString());
      // Out-of-range strings used to wrap silently into a different code or opaque.
      if (value >= std::numeric_limits<std::int32_t>::min() &&
          value <= std::numeric_limits<std::int32_t>::max()) {
        return static_cast<std::int32_t>(value);
      }
    } catch (const std::exception&) {
    }
  }
  throw ProtocolError(std::string("malformed JSON header: \"") + name + "\" is not a 32-bit integer");
}

RemotingCommand decode_json_header(std::string_view header) {
  // Parsed in place (strings unescaped where they are) in a copy that ends in the NUL the in-situ
  // parser stops at; a NUL within the header ends it early, as it does RapidJSON's other parsers.
  // Declared before the document, whose strings point into it.
  char text_buffer[1024];
  std::string text_heap;
  char* text = text_buffer;
  if (header.size() >= sizeof(text_buffer)) {
    text_heap.resize(header.size() + 1);
    text = text_heap.data();
  }
  std::memcpy(text, header.data(), header.size());
  text[header.size()] = '\0';
  // The allocators put their chunk headers (of size_t) at the start of these buffers.
  alignas(std::max_align_t) char value_buffer[4096];
  alignas(std::max_align_t) char stack_buffer[3072];
  HeaderAllocator value_allocator(value_buffer, sizeof(value_buffer));
  HeaderAllocator stack_allocator(stack_buffer, sizeof(stack_buffer));
  // The document's stack starts at 1 KiB within stack_buffer; the parser's own (256 B) beside it.
  HeaderDocument document(&value_allocator, 1024, &stack_allocator);
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, HeaderAllocator> reader(&stack_allocator);
  rapidjson::GenericInsituStringStream<rapidjson::UTF8<>> stream(text);
  bool too_deep = false;
  rapidjson::ParseResult parsed;
  auto parse = [&](HeaderDocument& target) {
    DepthLimitedHandler handler(target);
    parsed = reader.Parse<rapidjson::kParseInsituFlag>(stream, handler);
    too_deep = handler.too_deep();
    return !parsed.IsError();
  };
  document.Populate(parse);
  if (too_deep) {
    throw ProtocolError("malformed JSON header: nested deeper than " + std::to_string(protocol::kMaxJsonDepth) +
                        " levels at offset " + std::to_string(parsed.Offset()));
  }
  if (parsed.IsError()) {
    throw ProtocolError("malformed JSON header: parse error at offset " + std::to_string(parsed.Offset()));
  }
  if (!document.IsObject()) throw ProtocolError("malformed JSON header: not an object");
  RemotingCommand command;
  command.code = json_int(document, "code", true);
  command.version = json_int(document, "version", false);
  command.opaque = json_int(document, "opaque", false);
  command.flag = json_int(document, "flag", false);
  if (auto it = document.FindMember("language"); it != document.MemberEnd()) {
    if (it->value.IsString()) {
      command.language = language_from_name(std::string_view(it->value.GetString(), it->value.GetStringLength()));
    } else if (it->value.IsInt() && it->value.GetInt() >= 0 &&
               it->value.GetInt() < static_cast<int>(kLanguageNames.size())) {
      command.language = static_cast<LanguageCode>(it->value.GetInt());
    } else {
      command.language = LanguageCode::Other;
    }
  }
  if (auto it = document.FindMember("remark"); it != document.MemberEnd() && !it->value.IsNull()) {
    command.remark = json_value_to_string(it->value);
  }
  if (auto it = document.FindMember("extFields"); it != document.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsObject()) throw ProtocolError("malformed JSON header: \"extFields\" is not an object");
    std::vector<protocol::ExtFields::value_type> fields;
    fields.reserve(it->value.MemberCount());
    for (const auto& member : it->value.GetObject()) {
      if (member.value.IsNull()) continue;
      fields.emplace_back(std::string(member.name.GetString(), member.name.GetStringLength()),
                          json_value_to_string(member.value));
    }
    command.ext_fields = protocol::ExtFields::from_unsorted(std::move(fields), protocol::ExtFields::Repeated::KeepFirst);
  }
  return command;
}

RemotingCommand decode_binary_header(std::string_view header) {
  common::ByteReader reader(header);
  RemotingCommand command;
  command.code = reader.read_i16("binary header code");
  const auto language = static_cast<std::uint8_t>(reader.read_i8("binary header language"));
  command.language = language < kLanguageNames.size() ? static_cast<LanguageCode>(language) : LanguageCode::Other;
  command.version = reader.read_i16("binary header version");
  command.opaque = reader.read_i32("binary header opaque");
  command.flag = reader.read_i32("binary header flag");
  const std::int32_t remark_length = reader.read_i32("binary header remark length");
  if (remark_length < 0) throw ProtocolError("malformed binary header: negative remark length");
  if (remark_length > 0) {
    command.remark = std::string(reader.read_view(static_cast<std::size_t>(remark_length), "binary header remark"));
  }
  const std::int32_t ext_length = reader.read_i32("binary header extFields length");
  if (ext_length < 0) throw ProtocolError("malformed binary header: negative extFields length");
  common::ByteReader ext(reader.read_view(static_cast<std::size_t>(ext_length), "binary header extFields"));
  std::vector<protocol::ExtFields::value_type> fields;
  while (!ext.empty()) {
    const auto key_length = static_cast<std::uint16_t>(ext.read_i16("extFields key length"));
    std::string key(ext.read_view(key_length, "extFields key"));
    const std::int32_t value_length = ext.read_i32("extFields value length");
    if (value_length < 0) throw ProtocolError("malformed binary header: negative extFields value length");
    fields.emplace_back(std::move(key),
                        std::string(ext.read_view(static_cast<std::size_t>(value_length), "extFields value")));
  }
  command.ext_fields = protocol::ExtFields::from_unsorted(std::move(fields), protocol::ExtFields::Repeated::KeepLast);
  if (!reader.empty()) {
    throw ProtocolError("malformed binary header: " + std::to_string(reader.remaining()) + " trailing bytes");
  }
  return command;
}

}  // namespace

const char* language_name(LanguageCode language) noexcept {
  const auto index = static_cast<std::size_t>(language);
  return index < kLanguageNames.size() ? kLanguageNames[index] : "OTHER";
}

LanguageCode language_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kLanguageNames.size(); ++i) {
    if (name == kLanguageNames[i]) return static_cast<LanguageCode>(i);
  }
  return LanguageCode::Other;
}

RemotingCommand RemotingCommand::response_to(const RemotingCommand& request, std::int32_t code,
                                             std::optional<std::string> remark) {
  RemotingCommand response;
  response.code = code;
  response.opaque = request.opaque;
  response.remark = std::move(remark);
  response.mark_response();
  return response;
}

namespace {

// Bytes enough for either header encoding of `command` unless its texts need JSON escapes.
std::size_t header_size_hint(const RemotingCommand& command) {
  std::size_t size = 128 + (command.remark ? command.remark->size() : 0);
  for (const auto& [key, value] : command.ext_fields) size += key.size() + value.size() + 8;
  return size;
}

// Bytes a JSON string cannot hold as they are: the control characters, '"' and '\\'.
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[static_cast<std::size_t>(c)] = true;
  table['"'] = true;
  table['\\'] = true;
  return table;
}();

// A JSON string: '"', '\\' and the control characters escaped (\b \t \n \f \r by letter, the others
// as \u00XX), everything else, UTF-8 included, as it is. By hand rather than through a JSON writer
// because every message's request comes through here: a run of plain bytes is one append.
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('"');
  std::size_t plain = 0;  // start of the run not yet appended
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!kNeedsEscape[c]) continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out.append("\\\"", 2); break;
      case '\\': out.append("\\\\", 2); break;
      case '\b': out.append("\\b", 2); break;
      case '\t': out.append("\\t", 2); break;
      case '\n': out.append("\\n", 2); break;
      case '\f': out.append("\\f", 2); break;
      case '\r': out.append("\\r", 2); break;
      default: {
        const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(escaped, sizeof(escaped));
      }
    }
  }
  out.append(text.data() + plain, text.size() - plain);
  out.push_back('"');
}

void append_json_int(std::string& out, std::int32_t value) {
  char digits[12];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, static_cast<std::size_t>(result.ptr - digits));
}

void append_json_header(const RemotingCommand& command, std::string& out) {
  // Keys in fastjson's sorted order, so our frames look like a Java peer's (docs/protocol.md §2.1).
  out.append(R"({"code":)");
  append_json_int(out, command.code);
  if (!command.ext_fields.empty()) {
    out.append(R"(,"extFields":{)");
    bool first = true;
    for (const auto& [key, value] : command.ext_fields) {
      if (!first) out.push_back(',');
      first = false;
      append_json_string(out, key);
      out.push_back(':');
      append_json_string(out, value);
    }
    out.push_back('}');
  }
  out.append(R"(,"flag":)");
  append_json_int(out, command.flag);
  out.append(R"(,"language":)");
  append_json_string(out, language_name(command.language));
  out.append(R"(,"opaque":)");
  append_json_int(out, command.opaque);
  if (command.remark) {
    out.append(R"(,"remark":)");
    append_json_string(out, *command.remark);
  }
  out.append(R"(,"serializeTypeCurrentRPC":"JSON","version":)");
  append_json_int(out, command.version);
  out.push_back('}');
}

void append_binary_header(const RemotingCommand& command, std::string& out) {
  require_short(command.code, "code");
  require_short(command.version, "version");
  common::ByteWriter writer(out);
  writer.write_i16(static_cast<std::int16_t>(command.code));
  writer.write_i8(static_cast<std::int8_t>(command.language));
  writer.write_i16(static_cast<std::int16_t>(command.version));
  writer.write_i32(command.opaque);
  writer.write_i32(command.flag);
  if (command.remark && !command.remark->empty()) {
    writer.write_i32(static_cast<std::int32_t>(command.remark->size()));
    writer.write_bytes(*command.remark);
  } else {
    writer.write_i32(0);
  }
  const std::size_t ext_length_position = writer.size();
  writer.write_i32(0);
  for (const auto& [key, value] : command.ext_fields) {
    if (key.size() > static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max())) {
      throw ClientError("extFields key too long for a binary header: " + key.substr(0, 64));
    }
    writer.write_i16(static_cast<std::int16_t>(key.size()));
    writer.write_bytes(key);
    writer.write_i32(static_cast<std::int32_t>(value.size()));
    writer.write_bytes(value);
  }
  writer.patch_i32(ext_length_position, static_cast<std::int32_t>(writer.size() - ext_length_position - 4));
}

}  // namespace

std::string encode_json_header(const RemotingCommand& command) {
  std::string out;
  out.reserve(header_size_hint(command));
  append_json_header(command, out);
  return out;
}

std::string encode_binary_header(const RemotingCommand& command) {
  std::string out;
  out.reserve(header_size_hint(command));
  append_binary_header(command, out);
  return out;
}

std::string encode_frame(const RemotingCommand& command, SerializeType type) {
  constexpr std::size_t kPrefix = 8;  // length, header mark
  std::string frame;
  frame.reserve(kPrefix + header_size_hint(command) + command.body.size());
  frame.resize(kPrefix);
  if (type == SerializeType::Json) {
    append_json_header(command, frame);
  } else {
    append_binary_header(command, frame);
  }
  const std::size_t header_size = frame.size() - kPrefix;  // < 16 MiB (24 bits) if the frame passes
  const std::size_t length = 4 + header_size + command.body.size();
  if (length + 4 > kDefaultMaxFrameSize) {
    throw ClientError("request of " + std::to_string(length + 4) + " bytes exceeds the 16 MiB frame limit");
  }
  common::ByteWriter writer(frame);
  writer.write_bytes(command.body);
  writer.patch_i32(0, static_cast<std::int32_t>(length));
  writer.patch_i32(4, static_cast<std::int32_t>((static_cast<std::uint32_t>(type) << 24) | header_size));
  return frame;
}

RemotingCommand decode_frame_payload(std::string_view payload) {
  common::ByteReader reader(payload);
  const auto mark = static_cast<std::uint32_t>(reader.read_i32("header mark"));
  const std::uint32_t type = mark >> 24;
  const std::size_t header_length = mark & 0x00FFFFFFu;
  if (header_length > reader.remaining()) {
    throw ProtocolError("malformed frame: header length " + std::to_string(header_length) + " exceeds the " +
                        std::to_string(reader.remaining()) + " bytes left in the frame");
  }
  const std::string_view header = reader.read_view(header_length, "header");
  RemotingCommand command;
  if (type == static_cast<std::uint32_t>(SerializeType::Json)) {
    command = decode_json_header(header);
  } else if (type == static_cast<std::uint32_t>(SerializeType::RocketMQ)) {
    command = decode_binary_header(header);
  } else {
    throw ProtocolError("malformed frame: unknown serialize type " + std::to_string(type));
  }
  command.body.assign(reader.current(), reader.remaining());
  return command;
}

}  // namespace rocketmq::remoting
