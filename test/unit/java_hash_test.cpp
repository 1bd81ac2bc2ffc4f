#include <catch2/catch.hpp>

#include "common/java_hash.h"

using rocketmq::common::java_string_hash;

TEST_CASE("java_string_hash matches String.hashCode for the protocol vectors", "[hash]") {
  CHECK(java_string_hash("TagA") == 2598919);
  CHECK(java_string_hash("TagB") == 2598920);
  CHECK(java_string_hash("a") == 97);
  CHECK(java_string_hash("*") == 42);
  CHECK(java_string_hash("") == 0);
}

TEST_CASE("java_string_hash handles spaces and wraps like a Java int", "[hash]") {
  CHECK(java_string_hash("Tag A") == 80565531);
  // Long enough to overflow many times; value from "...".hashCode() semantics (31*h + c mod 2^32).
  CHECK(java_string_hash("order tag with spaces and more characters to overflow") == -366654974);
}

TEST_CASE("java_string_hash hashes UTF-16 code units of non-ASCII text", "[hash]") {
  // "订单" = U+8BA2 U+5355, both in the BMP: one code unit each.
  CHECK(java_string_hash("\xE8\xAE\xA2\xE5\x8D\x95") == 31 * 0x8BA2 + 0x5355);
  CHECK(java_string_hash("\xE8\xAE\xA2\xE5\x8D\x95") == 1129459);
  // U+1F600 is the surrogate pair D83D DE00.
  CHECK(java_string_hash("\xF0\x9F\x98\x80") == 31 * 0xD83D + 0xDE00);
  CHECK(java_string_hash("a\xF0\x9F\x98\x80" "b") == 57849694);
}

TEST_CASE("java_string_hash replaces malformed UTF-8 with U+FFFD like Java's decoder", "[hash]") {
  CHECK(java_string_hash("\xFF") == 0xFFFD);
  CHECK(java_string_hash("\x80") == 0xFFFD);
  CHECK(java_string_hash("a\xFF") == 68540);
  // A truncated 3-byte sequence is one maximal invalid subpart: a single U+FFFD.
  CHECK(java_string_hash("a\xE4\xB8" "b") == 2124838);
  CHECK(java_string_hash("a\xE4\xB8") == 68540);
  // Overlong encodings and encoded surrogates are invalid byte by byte.
  CHECK(java_string_hash("\xC0\x80") == 31 * 0xFFFD + 0xFFFD);
  CHECK(java_string_hash("\xED\xA0\x80") == (31 * 31 * 0xFFFD + 31 * 0xFFFD + 0xFFFD));
}
