#include "remoting/remoting_command.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <limits>

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

std::string json_value_to_string(const rapidjson::Value& value) {
  if (value.IsString()) return std::string(value.GetString(), value.GetStringLength());
  if (value.IsBool()) return value.GetBool() ? "true" : "false";
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  if (value.IsUint64()) return std::to_string(value.GetUint64());
  if (value.IsDouble()) return std::to_string(value.GetDouble());
  if (value.IsNull()) return std::string();
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
  // Before RapidJSON recurses into a remark or ext field that nests without end.
  protocol::require_json_depth(header, "header");
  // The document's values start in a buffer on this stack: a default Document mallocs a 64 KiB
  // chunk per parse, which on the I/O thread made glibc consolidate its fast bins for every frame
  // (malloc_consolidate was ~4 % of a drain's I/O thread). A header beyond the buffer still
  // parses; RapidJSON then adds heap chunks. (The parse stack stays a small heap block.)
  char value_buffer[4096];
  rapidjson::MemoryPoolAllocator<> value_allocator(value_buffer, sizeof(value_buffer));
  rapidjson::Document document(&value_allocator);
  document.Parse(header.data(), header.size());
  if (document.HasParseError()) {
    throw ProtocolError("malformed JSON header: parse error at offset " + std::to_string(document.GetErrorOffset()));
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
    for (const auto& member : it->value.GetObject()) {
      if (member.value.IsNull()) continue;
      command.ext_fields.emplace(std::string(member.name.GetString(), member.name.GetStringLength()),
                                 json_value_to_string(member.value));
    }
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
  while (!ext.empty()) {
    const auto key_length = static_cast<std::uint16_t>(ext.read_i16("extFields key length"));
    std::string key(ext.read_view(key_length, "extFields key"));
    const std::int32_t value_length = ext.read_i32("extFields value length");
    if (value_length < 0) throw ProtocolError("malformed binary header: negative extFields value length");
    command.ext_fields[std::move(key)] = std::string(ext.read_view(static_cast<std::size_t>(value_length),
                                                                   "extFields value"));
  }
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

std::string encode_json_header(const RemotingCommand& command) {
  // Keys in fastjson's sorted order, so our frames look like a Java peer's (docs/protocol.md §2.1).
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("code");
  writer.Int(command.code);
  if (!command.ext_fields.empty()) {
    writer.Key("extFields");
    writer.StartObject();
    for (const auto& [key, value] : command.ext_fields) {
      writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
      writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    }
    writer.EndObject();
  }
  writer.Key("flag");
  writer.Int(command.flag);
  writer.Key("language");
  writer.String(language_name(command.language));
  writer.Key("opaque");
  writer.Int(command.opaque);
  if (command.remark) {
    writer.Key("remark");
    writer.String(command.remark->data(), static_cast<rapidjson::SizeType>(command.remark->size()));
  }
  writer.Key("serializeTypeCurrentRPC");
  writer.String("JSON");
  writer.Key("version");
  writer.Int(command.version);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string encode_binary_header(const RemotingCommand& command) {
  require_short(command.code, "code");
  require_short(command.version, "version");
  std::string out;
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
  return out;
}

std::string encode_frame(const RemotingCommand& command, SerializeType type) {
  const std::string header =
      type == SerializeType::Json ? encode_json_header(command) : encode_binary_header(command);
  const std::size_t length = 4 + header.size() + command.body.size();
  if (length + 4 > kDefaultMaxFrameSize) {
    throw ClientError("request of " + std::to_string(length + 4) + " bytes exceeds the 16 MiB frame limit");
  }
  std::string frame;
  frame.reserve(length + 4);
  common::ByteWriter writer(frame);
  writer.write_i32(static_cast<std::int32_t>(length));
  writer.write_i32(static_cast<std::int32_t>((static_cast<std::uint32_t>(type) << 24) |
                                             (header.size() & 0x00FFFFFFu)));
  writer.write_bytes(header);
  writer.write_bytes(command.body);
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
