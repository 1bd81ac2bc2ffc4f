// The "custom header" of a remoting command (docs/protocol.md §3): every header field as a name and
// a text, kept sorted by name in one vector.
//
// Why not std::map: a send request carries 8-14 fields and every message is one request, so a map
// allocated a tree node per field on the sending thread and freed it again, ~30 % of an async
// producer's CPU in malloc and free. Here one reserve covers a whole header, and most names and
// numbers fit std::string's inline buffer. Lookups are binary searches over a few dozen entries at
// most. The order is std::string's (byte-wise), as the map's was: the ACL signature walks the fields
// in it, and the JSON encoder writes them in it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rocketmq::protocol {

class ExtFields {
 public:
  using value_type = std::pair<std::string, std::string>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;

  // Which of several fields of one name a decoded header keeps: a JSON object's first (as a map's
  // emplace keeps it), a binary header's last (as Java's HashMap.put leaves it).
  enum class Repeated { KeepFirst, KeepLast };

  ExtFields() = default;

  // A decoded header's fields in the order they came: sorted once, so that a header listing
  // thousands of names in reverse order costs n log n, not the n^2 of inserting one by one.
  static ExtFields from_unsorted(std::vector<value_type> fields, Repeated repeated) {
    const auto by_name = [](const value_type& a, const value_type& b) { return a.first < b.first; };
    if (!std::is_sorted(fields.begin(), fields.end(), by_name)) {
      if (fields.size() <= 32) {
        // Insertion sort: stable, and without the buffer std::stable_sort allocates.
        for (auto it = fields.begin() + 1; it != fields.end(); ++it) {
          for (auto at = it; at != fields.begin() && by_name(*at, *(at - 1)); --at) std::iter_swap(at, at - 1);
        }
      } else {
        std::stable_sort(fields.begin(), fields.end(), by_name);
      }
    }
    ExtFields result;
    result.entries_ = std::move(fields);
    auto& entries = result.entries_;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (kept > 0 && entries[kept - 1].first == entries[i].first) {
        if (repeated == Repeated::KeepLast) entries[kept - 1].second = std::move(entries[i].second);
        continue;
      }
      if (kept != i) entries[kept] = std::move(entries[i]);
      ++kept;
    }
    entries.resize(kept);
    return result;
  }
  // Like a map's: of repeated names the first is kept.
  ExtFields(std::initializer_list<value_type> fields) {
    entries_.reserve(fields.size());
    for (const auto& field : fields) emplace(field.first, field.second);
  }

  iterator begin() noexcept { return entries_.begin(); }
  iterator end() noexcept { return entries_.end(); }
  const_iterator begin() const noexcept { return entries_.begin(); }
  const_iterator end() const noexcept { return entries_.end(); }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  void clear() noexcept { entries_.clear(); }
  void reserve(std::size_t count) { entries_.reserve(count); }

  iterator find(std::string_view name) {
    auto it = lower_bound(name);
    return it != entries_.end() && it->first == name ? it : entries_.end();
  }
  const_iterator find(std::string_view name) const {
    auto it = const_cast<ExtFields*>(this)->lower_bound(name);
    return it != entries_.end() && it->first == name ? const_iterator(it) : entries_.end();
  }
  std::size_t count(std::string_view name) const { return find(name) == end() ? 0 : 1; }

  const std::string& at(std::string_view name) const {
    auto it = find(name);
    if (it == end()) throw std::out_of_range("no header field " + std::string(name));
    return it->second;
  }

  // The field's text, inserted empty when absent.
  std::string& operator[](std::string_view name) {
    // Headers mostly list their fields in name order: appending needs no search.
    if (entries_.empty() || entries_.back().first < name) return entries_.emplace_back(name, std::string()).second;
    auto it = lower_bound(name);
    if (it == entries_.end() || it->first != name) it = entries_.emplace(it, std::string(name), std::string());
    return it->second;
  }

  // Inserts unless the name is there (then that field is kept, as std::map::emplace does).
  std::pair<iterator, bool> emplace(std::string name, std::string text) {
    if (entries_.empty() || entries_.back().first < name) {
      entries_.emplace_back(std::move(name), std::move(text));
      return {entries_.end() - 1, true};
    }
    auto it = lower_bound(name);
    if (it != entries_.end() && it->first == name) return {it, false};
    return {entries_.emplace(it, std::move(name), std::move(text)), true};
  }

  std::size_t erase(std::string_view name) {
    auto it = find(name);
    if (it == end()) return 0;
    entries_.erase(it);
    return 1;
  }

  friend bool operator==(const ExtFields& a, const ExtFields& b) { return a.entries_ == b.entries_; }
  friend bool operator!=(const ExtFields& a, const ExtFields& b) { return !(a == b); }

 private:
  iterator lower_bound(std::string_view name) {
    return std::lower_bound(entries_.begin(), entries_.end(), name,
                            [](const value_type& entry, std::string_view key) { return entry.first < key; });
  }

  std::vector<value_type> entries_;
};

}  // namespace rocketmq::protocol
