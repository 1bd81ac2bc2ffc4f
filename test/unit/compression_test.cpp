#include <catch2/catch.hpp>

#include <string>

#include "protocol/compression.h"
#include "protocol/message_const.h"
#include "rocketmq/error.h"

namespace {

using rocketmq::ClientError;
using rocketmq::ProtocolError;
using rocketmq::protocol::compress;
using rocketmq::protocol::CompressionType;
using rocketmq::protocol::decompress;

std::string sample_text(std::size_t size) {
  std::string text;
  std::uint32_t state = 12345;
  while (text.size() < size) {
    state = state * 1103515245u + 12345u;
    // Mostly repetitive with some noise, so it compresses but not trivially.
    text += "message body " + std::to_string((state >> 16) % 97) + ";";
  }
  text.resize(size);
  return text;
}

int default_level(CompressionType type) {
  switch (type) {
    case CompressionType::kZlib:
      return 5;
    case CompressionType::kLz4:
      return 0;
    case CompressionType::kZstd:
      return 3;
  }
  return 0;
}

}  // namespace

TEST_CASE("every algorithm round-trips bodies of many sizes", "[compression]") {
  const auto type = GENERATE(CompressionType::kZlib, CompressionType::kLz4, CompressionType::kZstd);
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{4096},
                           std::size_t{70000}, std::size_t{1} << 20}) {
    const std::string input = sample_text(size);
    const std::string packed = compress(type, input, default_level(type));
    CHECK(decompress(type, packed) == input);
  }
}

TEST_CASE("zlib output uses the RFC 1950 wrapper like java.util.zip.Deflater", "[compression]") {
  const std::string packed = compress(CompressionType::kZlib, "hello hello hello", 9);
  REQUIRE(packed.size() > 2);
  CHECK(static_cast<unsigned char>(packed[0]) == 0x78);
  CHECK(((static_cast<unsigned char>(packed[0]) << 8) | static_cast<unsigned char>(packed[1])) % 31 == 0);
}

TEST_CASE("lz4 and zstd output are standard frames", "[compression]") {
  const std::string lz4 = compress(CompressionType::kLz4, "hello", 0);
  CHECK(lz4.substr(0, 4) == std::string("\x04\x22\x4D\x18", 4));
  const std::string zstd = compress(CompressionType::kZstd, "hello", 3);
  CHECK(zstd.substr(0, 4) == std::string("\x28\xB5\x2F\xFD", 4));
}

TEST_CASE("decompression enforces the maximum output size", "[compression]") {
  const auto type = GENERATE(CompressionType::kZlib, CompressionType::kLz4, CompressionType::kZstd);
  const std::string input(100000, 'x');
  const std::string packed = compress(type, input, default_level(type));
  CHECK(decompress(type, packed, input.size()) == input);  // exactly at the limit is fine
  CHECK_THROWS_WITH(decompress(type, packed, input.size() - 1),
                    Catch::Contains("decompressed body exceeds " + std::to_string(input.size() - 1)));
  CHECK_THROWS_AS(decompress(type, packed, 10), ProtocolError);
}

TEST_CASE("corrupt and truncated input throws ProtocolError naming the algorithm", "[compression]") {
  const auto type = GENERATE(CompressionType::kZlib, CompressionType::kLz4, CompressionType::kZstd);
  const std::string name = rocketmq::protocol::compression_type_name(type);
  const std::string input = sample_text(20000);
  const std::string packed = compress(type, input, default_level(type));

  CHECK_THROWS_WITH(decompress(type, "definitely not compressed"), Catch::Contains(name));
  CHECK_THROWS_AS(decompress(type, std::string()), ProtocolError);
  // Every truncation must fail (never return a short body) and never crash.
  for (std::size_t length = 0; length < packed.size(); length += (length < 64 ? 1 : 97)) {
    CAPTURE(length);
    CHECK_THROWS_AS(decompress(type, packed.substr(0, length)), ProtocolError);
  }
  // Flipped bytes must fail cleanly or (if the format cannot tell) still produce bounded output.
  for (std::size_t position = 0; position < packed.size(); position += 13) {
    std::string damaged = packed;
    damaged[position] = static_cast<char>(damaged[position] ^ 0x5A);
    try {
      (void)decompress(type, damaged, 1 << 20);
    } catch (const ProtocolError&) {
    }
  }
}

TEST_CASE("compression levels are validated", "[compression]") {
  CHECK_THROWS_AS(compress(CompressionType::kZlib, "x", 10), ClientError);
  CHECK_THROWS_AS(compress(CompressionType::kLz4, "x", 13), ClientError);
  CHECK_THROWS_AS(compress(CompressionType::kZstd, "x", 99), ClientError);
  CHECK_NOTHROW(compress(CompressionType::kZlib, "x", -1));
}

TEST_CASE("sysFlag compression bits map to algorithms", "[compression]") {
  namespace sys_flag = rocketmq::protocol::sys_flag;
  using rocketmq::protocol::compression_type_from_sys_flag;
  using rocketmq::protocol::sys_flag_with_compression;
  CHECK(compression_type_from_sys_flag(sys_flag::kCompressed) == CompressionType::kZlib);  // type 0
  CHECK(compression_type_from_sys_flag(0x301) == CompressionType::kZlib);
  CHECK(compression_type_from_sys_flag(0x101) == CompressionType::kLz4);
  CHECK(compression_type_from_sys_flag(0x201) == CompressionType::kZstd);
  CHECK_THROWS_AS(compression_type_from_sys_flag(0x401), ProtocolError);
  CHECK_THROWS_AS(compression_type_from_sys_flag(0x701), ProtocolError);

  CHECK(sys_flag_with_compression(0x10, CompressionType::kZstd) == 0x211);
  CHECK(sys_flag_with_compression(0x301, CompressionType::kLz4) == 0x101);
  CHECK(sys_flag_with_compression(0, CompressionType::kZlib) == 0x301);
  CHECK(rocketmq::protocol::is_compressed(0x301));
  CHECK_FALSE(rocketmq::protocol::is_compressed(0x300));
}
