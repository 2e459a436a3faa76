// SPDX-License-Identifier: Apache-2.0
//
// Internals of the nft JSON reader (nft/json.hpp), shared by its objects
// part (objects.cpp), its value types (types.cpp), its statements part
// (operands.cpp, matches.cpp, statements.cpp) and the writer (writer/).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/datatype.hpp"
#include "nfactor/nft/elem.hpp"
#include "nfactor/nft/json.hpp"
#include "nfactor/nft/rule.hpp"
#include "nfactor/nft/rule_builder.hpp"
#include "names.hpp"

namespace nfactor::nft::json::detail {

using value = nlohmann::json;

/// Thrown inside the reader only; `read()` turns it into an error.
struct bad_input {
  std::string path;
  std::string what;
};

[[noreturn]] void fail(const std::string& path, std::string what);

/// The member `key` of object `v`, or nullptr.
const value* member(const value& v, std::string_view key);
/// The string member `key` (required).
std::string need_string(const value& v, std::string_view key,
                        const std::string& path);
/// A non-negative integer no larger than `max`.
std::uint64_t need_uint(const value& v, const std::string& path,
                        std::uint64_t max);
/// The member `key` of `v`, or null.
const value& field_or_null(const value& v, std::string_view key);

/// Whether `v` names a set: "@s".
inline bool is_set_ref(const value& v) {
  return v.is_string() && v.get<std::string>().starts_with("@");
}

// -- value types --------------------------------------------------------------

/// How a value of a type is written.
/// `boolean`: JSON true/false; `number_text`: a number nft lists as a
/// string ("10", a realm); `tc_handle`: "major:minor" in hex, or a symbol.
enum class shape : std::uint8_t {
  integer,
  ipv4,
  ipv6,
  ether,
  ifname,
  ifindex,
  boolean,
  number_text,
  hour, ///< seconds of a day (UTC), written "17:00" in local time
  date, ///< nanoseconds since the epoch, "2026-01-01 00:00:00" local time
  tc_handle
};

/// One of nft's data types (src/datatype.c): its id, as sets store it in
/// NFTA_SET_KEY_TYPE, its size and byte order, and its symbols.
struct dtype {
  std::string_view name;
  nft::datatype id;
  std::uint32_t len;
  bool big_endian;
  detail::shape kind;
  /// Its symbolic values ("tcp" of inet_proto).
  std::span<const name_code> symbols = {};
};

/// The type called `name` (nft's name), or nullptr.
const dtype* find_dtype(std::string_view name);
/// The type with id `id`, or nullptr.
const dtype* dtype_by_id(std::uint32_t id);
/// An integer type of `len` (1, 2, 4 or 8; 3 in network order) bytes in
/// the given byte order
/// (nft's "integer" of a field: a TCP option's size, rt mtu).
const dtype& integer_type(std::uint32_t len, bool big_endian);
struct rt_key;
struct exthdr_field;
/// nft's type of a routing key (names.hpp rt_keys).
const dtype& rt_type(const rt_key& k);
/// nft's type of an exthdr / TCP option field: boolean for a presence
/// check, inet_proto, or a big-endian integer of the field's size.
const dtype& exthdr_type(const exthdr_field& f);
/// Seconds east of UTC where this runs now (nft reads and writes meta
/// hour in local time, and converts with the current offset).
long utc_offset_now();
/// The symbol table of `t` as a lookup: the value of `name`, if any.
std::optional<std::uint64_t> symbol(const dtype& t, std::string_view name);
/// The name of value `v` of `t`, if it has one.
std::optional<std::string_view> symbol_name(const dtype& t, std::uint64_t v);

/// A set key or an operand: one type, or a concatenation of several.
struct key_type {
  std::vector<const dtype*> parts;
  /// NFTA_SET_KEY_TYPE: the id, or the ids concatenated 6 bits each.
  [[nodiscard]] std::uint32_t id() const;
  /// NFTA_SET_KEY_LEN: the length (parts padded to 4 bytes).
  [[nodiscard]] std::uint32_t len() const;
};

/// Per-document state of the reader.
struct context {
  /// Interface name → index (iif/oif); nullopt when unknown.
  const read_options* opts = nullptr;
  /// The next NFTA_SET_ID of an anonymous set.
  std::uint32_t next_set_id = 1;
  /// Operations to put before the rule being read (anonymous sets).
  std::vector<operation> pending;
  /// The key type of a set listed as "type": "integer" (nft 1.0.6 lists a
  /// set declared with typeof a field of nft's integer type so), by
  /// family, table and set name: the type of the field a rule looks it
  /// up with (objects.cpp learn_typeof_keys).
  std::map<std::tuple<std::uint8_t, std::string, std::string>, const dtype*>
      typeof_keys;
};

/// The bytes of scalar `v` (a number, a symbol, an address, a name).
byte_buffer scalar_bytes(const dtype& t, const value& v,
                         const std::string& path, const context& cx);

/// The bytes of a key value: a scalar, or `{"concat": [...]}` for a
/// concatenated type (each part padded to 4 bytes).
byte_buffer key_bytes(const key_type& k, const value& v,
                      const std::string& path, const context& cx);

/// What a set holds, for reading its elements.
struct set_spec {
  key_type key;
  /// Data type of a map (nullptr for a set or a verdict map).
  const dtype* data = nullptr;
  bool verdicts = false;
  bool interval = false;
  /// An object map (counter, quota, limit names as data).
  bool objects = false;
};

/// Reads the element list `elems` (`[k, ...]` or `[[k, v], ...]` for maps)
/// into the elements nft sends for it (interval sets: start and end
/// elements).
std::vector<set_elem> read_elements(const value& elems, const set_spec& spec,
                                    const std::string& path, const context& cx);

/// A verdict: {"accept": null}, {"jump": {"target": "c"}}, ...
data verdict_of(const value& v, const std::string& path);

/// nft's set user data: key (and data) byte order.
byte_buffer set_userdata(const key_type& key, const dtype* data);

/// A field a match can name: nft's words, the front's field, nft's type.
struct named_field {
  std::string_view a; ///< protocol ("ip") or "meta" / "ct"
  std::string_view b; ///< field or key
  const front::field* fld;
  std::string_view type;
  /// A field of less than its bytes (ip dscp): its bits in `fld`'s bytes
  /// read as a big-endian number; nft loads the bytes, masks them and
  /// compares with the value shifted to these bits. 0: all of them.
  std::uint32_t mask = 0;
};

/// Whether `fld`'s values are in network byte order: a packet field, or
/// a meta/ct key nft keeps so (meta protocol).
bool network_order(const front::field& fld);

/// `n` as the bytes of `fld` (its length, its byte order).
byte_buffer field_bytes(const front::field& fld, std::uint64_t n);

/// How nft sets field `fld` (bits `mask` of its bytes, 0: all) when it
/// rewrites the bytes [start, start + len) around it (a field of less
/// than its bytes, a byte under a 16-bit checksum): the bitwise mask that
/// keeps every other bit, 0xff outside the field.
byte_buffer keep_mask(const front::field& fld, std::uint64_t mask,
                      std::uint32_t start, std::uint32_t len);

/// Every field the reader knows (and the writer names).
std::span<const named_field> known_fields();

/// nft's ICMP code names per reject type (<linux/icmp.h>, icmpv6.h,
/// nf_tables.h NFT_REJECT_ICMPX_*).
struct reject_code {
  std::string_view type;
  std::string_view name;
  std::uint8_t code;
};

/// Every reject code name the reader knows.
std::span<const reject_code> reject_code_names();

/// A rate limit: the rule front's options.
using limit_spec = front::limit_options;

/// Reads {"rate", "rate_unit", "per", "burst", "burst_unit", "inv"}.
limit_spec read_limit_spec(const value& v, const std::string& path);

/// One statement's expressions in a rule: [begin, end); whether it is a
/// match (or a verdict map: nft's expression statements), and whether it
/// is a payload field matched with == or != against one value.
struct statement_span {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool match = false;
  bool joinable = false;
};

/// Joins payload matches of adjacent fields into one load and compare,
/// as nft does (joins.cpp); `spans` cover all of `exprs`, in order.
void join_payload_matches(std::vector<expression>& exprs,
                          const std::vector<statement_span>& spans);

/// Builds a rule's expressions from its "expr" array (family from `r`);
/// anonymous sets it needs go to `cx.pending`.
void read_statements(const value& exprs, rule& r, const std::string& path,
                     context& cx);

} // namespace nfactor::nft::json::detail
