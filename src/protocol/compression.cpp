#include "protocol/compression.h"

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <limits>
#include <memory>

#include "protocol/message_const.h"
#include "rocketmq/error.h"

namespace rocketmq::protocol {
namespace {

// Output grows in steps instead of trusting a size from the (untrusted) input, so a small bomb cannot
// make us allocate the maximum up front.
constexpr std::size_t kInitialOutputGuess = 4096;
// LZ4HC_CLEVEL_MAX from lz4hc.h; lz4frame clamps higher values silently, we reject them instead.
constexpr int kLz4MaxLevel = 12;

[[noreturn]] void throw_corrupt(CompressionType type, const std::string& detail) {
  throw ProtocolError(std::string("corrupt ") + compression_type_name(type) + " body: " + detail);
}

[[noreturn]] void throw_too_large(std::size_t max_output_size) {
  throw ProtocolError("decompressed body exceeds " + std::to_string(max_output_size) + " bytes");
}

// Makes room for more output: returns the writable area after `used` bytes, growing `output` up to one
// byte beyond the limit (so that producing that byte proves the limit is exceeded).
char* grow_output(std::string& output, std::size_t used, std::size_t input_size, std::size_t max_output_size,
                  std::size_t& available) {
  const std::size_t hard_cap = max_output_size + 1;
  if (used >= hard_cap) throw_too_large(max_output_size);
  if (output.size() <= used) {
    std::size_t target = std::max({kInitialOutputGuess, input_size * 4, output.size() * 2});
    output.resize(std::min(target, hard_cap));
  }
  available = output.size() - used;
  return output.data() + used;
}

void finish_output(std::string& output, std::size_t used, std::size_t max_output_size) {
  if (used > max_output_size) throw_too_large(max_output_size);
  output.resize(used);
}

std::string compress_zlib(std::string_view input, int level) {
  if (level < -1 || level > 9) {
    throw ClientError("zlib compression level must be -1..9, got " + std::to_string(level));
  }
  uLongf bound = compressBound(static_cast<uLong>(input.size()));
  std::string output(bound, '\0');
  const int result = compress2(reinterpret_cast<Bytef*>(output.data()), &bound,
                               reinterpret_cast<const Bytef*>(input.data()), static_cast<uLong>(input.size()),
                               level);
  if (result != Z_OK) throw ClientError("zlib compression failed with code " + std::to_string(result));
  output.resize(bound);
  return output;
}

std::string decompress_zlib(std::string_view input, std::size_t max_output_size) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) throw ProtocolError("zlib: cannot initialise the decompressor");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, inflateEnd);
  // zlib counts in uInt; bodies are far below 4 GiB (maxMessageSize is a few MiB).
  if (input.size() > std::numeric_limits<uInt>::max()) {
    throw_corrupt(CompressionType::kZlib, "input too large");
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());

  std::string output;
  std::size_t used = 0;
  while (true) {
    std::size_t available = 0;
    char* out = grow_output(output, used, input.size(), max_output_size, available);
    const auto chunk = static_cast<uInt>(std::min<std::size_t>(available, std::numeric_limits<uInt>::max()));
    stream.next_out = reinterpret_cast<Bytef*>(out);
    stream.avail_out = chunk;
    const int result = inflate(&stream, Z_NO_FLUSH);
    used += chunk - stream.avail_out;
    if (result == Z_STREAM_END) break;
    if (result == Z_BUF_ERROR && stream.avail_in == 0 && stream.avail_out != 0) {
      throw_corrupt(CompressionType::kZlib, "truncated stream");
    }
    if (result != Z_OK && result != Z_BUF_ERROR) {
      throw_corrupt(CompressionType::kZlib, stream.msg != nullptr ? stream.msg : "inflate failed");
    }
  }
  finish_output(output, used, max_output_size);
  return output;
}

std::string compress_lz4(std::string_view input, int level) {
  if (level < 0 || level > kLz4MaxLevel) {
    throw ClientError("lz4 compression level must be 0..12, got " + std::to_string(level));
  }
  LZ4F_preferences_t preferences{};
  preferences.compressionLevel = level;
  preferences.frameInfo.contentSize = input.size();  // lets decoders size their output exactly
  std::string output(LZ4F_compressFrameBound(input.size(), &preferences), '\0');
  const std::size_t written =
      LZ4F_compressFrame(output.data(), output.size(), input.data(), input.size(), &preferences);
  if (LZ4F_isError(written)) {
    throw ClientError(std::string("lz4 compression failed: ") + LZ4F_getErrorName(written));
  }
  output.resize(written);
  return output;
}

std::string decompress_lz4(std::string_view input, std::size_t max_output_size) {
  LZ4F_dctx* context = nullptr;
  const std::size_t created = LZ4F_createDecompressionContext(&context, LZ4F_VERSION);
  if (LZ4F_isError(created)) throw ProtocolError("lz4: cannot initialise the decompressor");
  std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> guard(context, LZ4F_freeDecompressionContext);

  if (input.empty()) throw_corrupt(CompressionType::kLz4, "empty input");
  std::string output;
  std::size_t used = 0;
  std::size_t consumed = 0;
  std::size_t hint = 1;  // non-zero: a frame is in progress or expected
  while (consumed < input.size()) {
    std::size_t available = 0;
    char* out = grow_output(output, used, input.size(), max_output_size, available);
    std::size_t out_size = available;
    std::size_t in_size = input.size() - consumed;
    hint = LZ4F_decompress(context, out, &out_size, input.data() + consumed, &in_size, nullptr);
    if (LZ4F_isError(hint)) throw_corrupt(CompressionType::kLz4, LZ4F_getErrorName(hint));
    used += out_size;
    consumed += in_size;
    // No progress with room left in the output means the decoder is stuck on bad input.
    if (in_size == 0 && out_size == 0 && available > 0) throw_corrupt(CompressionType::kLz4, "no progress");
  }
  // Flush output still buffered inside the context (it may hold a block when our buffer was full).
  while (hint != 0) {
    std::size_t available = 0;
    char* out = grow_output(output, used, input.size(), max_output_size, available);
    std::size_t out_size = available;
    std::size_t in_size = 0;
    hint = LZ4F_decompress(context, out, &out_size, input.data() + consumed, &in_size, nullptr);
    if (LZ4F_isError(hint)) throw_corrupt(CompressionType::kLz4, LZ4F_getErrorName(hint));
    used += out_size;
    if (hint != 0 && out_size == 0) throw_corrupt(CompressionType::kLz4, "truncated frame");
  }
  finish_output(output, used, max_output_size);
  return output;
}

std::string compress_zstd(std::string_view input, int level) {
  if (level < 0 || level > ZSTD_maxCLevel()) {
    throw ClientError("zstd compression level must be 0.." + std::to_string(ZSTD_maxCLevel()) + ", got " +
                      std::to_string(level));
  }
  std::string output(ZSTD_compressBound(input.size()), '\0');
  const std::size_t written = ZSTD_compress(output.data(), output.size(), input.data(), input.size(), level);
  if (ZSTD_isError(written)) {
    throw ClientError(std::string("zstd compression failed: ") + ZSTD_getErrorName(written));
  }
  output.resize(written);
  return output;
}

std::string decompress_zstd(std::string_view input, std::size_t max_output_size) {
  std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> context(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!context) throw ProtocolError("zstd: cannot initialise the decompressor");
  if (input.empty()) throw_corrupt(CompressionType::kZstd, "empty input");

  ZSTD_inBuffer in{input.data(), input.size(), 0};
  std::string output;
  std::size_t used = 0;
  std::size_t hint = 1;
  // Loop until all input is consumed and the last frame is complete (hint 0). The decoder may still
  // hold output when the input is exhausted, so keep calling while it fills our buffer.
  while (true) {
    std::size_t available = 0;
    char* out = grow_output(output, used, input.size(), max_output_size, available);
    ZSTD_outBuffer out_buffer{out, available, 0};
    const std::size_t previous_in = in.pos;
    hint = ZSTD_decompressStream(context.get(), &out_buffer, &in);
    if (ZSTD_isError(hint)) throw_corrupt(CompressionType::kZstd, ZSTD_getErrorName(hint));
    used += out_buffer.pos;
    if (in.pos == in.size && hint == 0) break;
    const bool output_full = out_buffer.pos == out_buffer.size;
    if (!output_full && in.pos == previous_in && out_buffer.pos == 0) {
      throw_corrupt(CompressionType::kZstd, "truncated frame");
    }
  }
  finish_output(output, used, max_output_size);
  return output;
}

}  // namespace

const char* compression_type_name(CompressionType type) noexcept {
  switch (type) {
    case CompressionType::kZlib:
      return "zlib";
    case CompressionType::kLz4:
      return "lz4";
    case CompressionType::kZstd:
      return "zstd";
  }
  return "unknown";
}

CompressionType compression_type_from_sys_flag(std::int32_t sys_flag) {
  switch (sys_flag & sys_flag::kCompressionTypeMask) {
    case 0:
    case sys_flag::kCompressionZlibType:
      return CompressionType::kZlib;
    case sys_flag::kCompressionLz4Type:
      return CompressionType::kLz4;
    case sys_flag::kCompressionZstdType:
      return CompressionType::kZstd;
    default:
      throw ProtocolError("unknown compression type in sysFlag " + std::to_string(sys_flag));
  }
}

std::int32_t sys_flag_with_compression(std::int32_t sys_flag, CompressionType type) noexcept {
  std::int32_t type_bits = sys_flag::kCompressionZlibType;
  if (type == CompressionType::kLz4) type_bits = sys_flag::kCompressionLz4Type;
  if (type == CompressionType::kZstd) type_bits = sys_flag::kCompressionZstdType;
  return (sys_flag & ~sys_flag::kCompressionTypeMask) | sys_flag::kCompressed | type_bits;
}

bool is_compressed(std::int32_t sys_flag) noexcept { return (sys_flag & sys_flag::kCompressed) != 0; }

std::string compress(CompressionType type, std::string_view input, int level) {
  switch (type) {
    case CompressionType::kZlib:
      return compress_zlib(input, level);
    case CompressionType::kLz4:
      return compress_lz4(input, level);
    case CompressionType::kZstd:
      return compress_zstd(input, level);
  }
  throw ClientError("unknown compression type");
}

std::string decompress(CompressionType type, std::string_view input, std::size_t max_output_size) {
  switch (type) {
    case CompressionType::kZlib:
      return decompress_zlib(input, max_output_size);
    case CompressionType::kLz4:
      return decompress_lz4(input, max_output_size);
    case CompressionType::kZstd:
      return decompress_zstd(input, max_output_size);
  }
  throw ProtocolError("unknown compression type");
}

}  // namespace rocketmq::protocol
