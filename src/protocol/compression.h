#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rocketmq::protocol {

// Body compression algorithms of RocketMQ (COMMON/compression/, docs/protocol.md §6.4): zlib-wrapped
// deflate (java.util.zip.Deflater), the LZ4 frame format (lz4-java LZ4FrameOutputStream) and the zstd
// frame format (zstd-jni ZstdOutputStream).
enum class CompressionType { kZlib, kLz4, kZstd };

inline constexpr std::size_t kDefaultMaxDecompressedSize = 64 * 1024 * 1024;

const char* compression_type_name(CompressionType type) noexcept;

// The compression type recorded in sysFlag bits 8-10 (0 and 0x300 both mean zlib). Throws
// ProtocolError for the unassigned values 0x400-0x700.
CompressionType compression_type_from_sys_flag(std::int32_t sys_flag);

// `sys_flag` with COMPRESSED_FLAG set and bits 8-10 set to `type`.
std::int32_t sys_flag_with_compression(std::int32_t sys_flag, CompressionType type) noexcept;

bool is_compressed(std::int32_t sys_flag) noexcept;

// Compresses `input` into one complete stream/frame. `level` is the algorithm's own scale (zlib
// 0..9 or -1 for the default, lz4 0..12, zstd 1..22 or 0 for the default); an out-of-range level
// throws ClientError.
std::string compress(CompressionType type, std::string_view input, int level);

// Decompresses one complete stream (lz4/zstd: one or more concatenated frames) of unknown output size.
// Throws ProtocolError naming the algorithm for corrupt or truncated input, and
// "decompressed body exceeds <max_output_size> bytes" if the output would be larger.
std::string decompress(CompressionType type, std::string_view input,
                       std::size_t max_output_size = kDefaultMaxDecompressedSize);

}  // namespace rocketmq::protocol
