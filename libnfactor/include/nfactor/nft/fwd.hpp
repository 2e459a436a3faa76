// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace nfactor::nft {

struct verdict;
struct data;
struct expression;
struct expr_kind;
struct table;
struct chain;
struct rule;
struct set;
struct set_elem;
struct elem_list;
struct object;
struct flowtable;
struct gen_info;

} // namespace nfactor::nft
