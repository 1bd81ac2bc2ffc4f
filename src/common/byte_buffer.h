#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "rocketmq/error.h"

namespace rocketmq::common {

// Big-endian reader over borrowed bytes (the wire order of every RocketMQ integer). Reading past
// the end throws ProtocolError naming what was being read, so a truncated frame or record is a
// clear error instead of undefined behaviour.
class ByteReader {
 public:
  ByteReader(const char* data, std::size_t size) noexcept : data_(data), size_(size) {}
  explicit ByteReader(std::string_view bytes) noexcept : ByteReader(bytes.data(), bytes.size()) {}

  std::size_t position() const noexcept { return position_; }
  std::size_t remaining() const noexcept { return size_ - position_; }
  bool empty() const noexcept { return position_ == size_; }
  const char* current() const noexcept { return data_ + position_; }

  std::int8_t read_i8(const char* what) { return static_cast<std::int8_t>(read_unsigned(1, what)); }
  std::int16_t read_i16(const char* what) { return static_cast<std::int16_t>(read_unsigned(2, what)); }
  std::int32_t read_i32(const char* what) { return static_cast<std::int32_t>(read_unsigned(4, what)); }
  std::int64_t read_i64(const char* what) { return static_cast<std::int64_t>(read_unsigned(8, what)); }

  // A view of the next `length` bytes, valid as long as the underlying buffer.
  std::string_view read_view(std::size_t length, const char* what) {
    require(length, what);
    std::string_view view(data_ + position_, length);
    position_ += length;
    return view;
  }

  void skip(std::size_t length, const char* what) {
    require(length, what);
    position_ += length;
  }

 private:
  void require(std::size_t length, const char* what) const {
    if (length > remaining()) {
      throw ProtocolError(std::string("truncated data: need ") + std::to_string(length) + " bytes for " + what +
                          " at offset " + std::to_string(position_) + ", have " + std::to_string(remaining()));
    }
  }

  std::uint64_t read_unsigned(std::size_t width, const char* what) {
    require(width, what);
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      value = (value << 8) | static_cast<unsigned char>(data_[position_ + i]);
    }
    position_ += width;
    return value;
  }

  const char* data_;
  std::size_t size_;
  std::size_t position_ = 0;
};

// Big-endian writer appending to a caller-owned string.
class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) noexcept : out_(out) {}

  void write_i8(std::int8_t value) { out_.push_back(static_cast<char>(value)); }
  void write_i16(std::int16_t value) { write_unsigned(static_cast<std::uint16_t>(value), 2); }
  void write_i32(std::int32_t value) { write_unsigned(static_cast<std::uint32_t>(value), 4); }
  void write_i64(std::int64_t value) { write_unsigned(static_cast<std::uint64_t>(value), 8); }
  void write_bytes(std::string_view bytes) { out_.append(bytes.data(), bytes.size()); }

  // Overwrites 4 bytes at `position` (for length prefixes written before their content is known).
  void patch_i32(std::size_t position, std::int32_t value) {
    auto v = static_cast<std::uint32_t>(value);
    for (int i = 3; i >= 0; --i) {
      out_[position + static_cast<std::size_t>(i)] = static_cast<char>(v & 0xFF);
      v >>= 8;
    }
  }

  std::size_t size() const noexcept { return out_.size(); }

 private:
  void write_unsigned(std::uint64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }

  std::string& out_;
};

}  // namespace rocketmq::common
