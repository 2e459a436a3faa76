// SPDX-License-Identifier: Apache-2.0
//
// Typed operations on a batch: the object model's values (table, chain,
// rule, set, elements, objects, flowtables; see table.hpp ... flowtable.hpp)
// become NEW / DEL messages with the verb's netlink flags. Input is checked
// before anything is encoded; a bad value records an error in the batch
// (which `finish()` reports), so nothing is ever sent for it.
//
//   nft command                        call
//   add table inet t                   add(b, table{...})
//   create chain inet t c {...}        create(b, chain{...})
//   add rule inet t c ...              add(b, rule{...})   (append; with
//                                      position: after that handle)
//   insert rule inet t c ...           insert(b, rule{...}) (prepend; with
//                                      position: before that handle)
//   replace rule inet t c handle 5 ... replace(b, rule{... handle = 5})
//   delete rule inet t c handle 5      remove(b, rule{... handle = 5})
//   flush chain inet t c               flush(b, chain{...})
//   flush table inet t                 flush(b, table{...})
//   flush set inet t s                 flush(b, set{...})
#pragma once

#include <cstdint>
#include <string_view>

#include "nfactor/error.hpp"
#include "nfactor/nft/batch.hpp"
#include "nfactor/nft/chain.hpp"
#include "nfactor/nft/elem.hpp"
#include "nfactor/nft/flowtable.hpp"
#include "nfactor/nft/object.hpp"
#include "nfactor/nft/rule.hpp"
#include "nfactor/nft/set.hpp"
#include "nfactor/nft/table.hpp"

namespace nfactor::nft {

// -- tables -------------------------------------------------------------------

void add(batch& b, const table& t);
void create(batch& b, const table& t);
void remove(batch& b, const table& t);
/// Deletes every rule of every chain in `t`.
void flush(batch& b, const table& t);

// -- chains -------------------------------------------------------------------

void add(batch& b, const chain& c);
void create(batch& b, const chain& c);
void remove(batch& b, const chain& c);
/// Deletes every rule of `c`.
void flush(batch& b, const chain& c);

// -- rules --------------------------------------------------------------------

/// Appends `r` (after the rule whose handle is `r.position`, if set).
void add(batch& b, const rule& r);
/// Prepends `r` (before the rule whose handle is `r.position`, if set).
void insert(batch& b, const rule& r);
/// Replaces the rule with handle `r.handle` by `r`.
void replace(batch& b, const rule& r);
/// Deletes the rule with handle `r.handle`.
void remove(batch& b, const rule& r);

// -- sets and maps ------------------------------------------------------------

void add(batch& b, const set& s);
void create(batch& b, const set& s);
void remove(batch& b, const set& s);
/// Deletes every element of `s`.
void flush(batch& b, const set& s);

// -- set elements -------------------------------------------------------------

void add(batch& b, const elem_list& l);
/// Adds the elements, failing (EEXIST) for any already present.
void create(batch& b, const elem_list& l);
void remove(batch& b, const elem_list& l);

// -- named objects (counter, quota, limit) ------------------------------------

void add(batch& b, const object& o);
void create(batch& b, const object& o);
void remove(batch& b, const object& o);

// -- flowtables ---------------------------------------------------------------

void add(batch& b, const flowtable& f);
void create(batch& b, const flowtable& f);
void remove(batch& b, const flowtable& f);

// -- input helpers ------------------------------------------------------------

/// The hook number nft calls `name` in `family` ("input" → NF_INET_LOCAL_IN,
/// "ingress" → NF_NETDEV_INGRESS); an error naming the hooks the family
/// has otherwise.
[[nodiscard]] result<std::uint32_t> hook_from_string(std::uint8_t family,
                                                     std::string_view name);

/// A chain priority as nft writes it: a number, or a standard name with an
/// optional offset ("filter", "mangle - 5", "dstnat + 10"). Errors for
/// unknown names and values outside the kernel's s32.
[[nodiscard]] result<std::int32_t> priority_from_string(std::string_view text);

/// Checks a chain as `add`/`create` do (names, family, hook, type,
/// priority, policy, device).
[[nodiscard]] result<void> validate(const chain& c);

/// Checks a set as `add`/`create` do (names, key and data lengths, flags).
[[nodiscard]] result<void> validate(const set& s);

} // namespace nfactor::nft
