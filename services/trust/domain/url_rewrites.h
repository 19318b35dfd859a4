// URL rewrites (the trust service's fetch.rewrite setting): a local federation or a test serves
// what public https URLs name from loopback. Pure string work; RewritingFetcher applies it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libs/core/status.h"

namespace mpli::trust {

using UrlRewrites = std::vector<std::pair<std::string, std::string>>;  // prefix -> replacement

// "https://a.example/=http://127.0.0.1:8081/ https://b.example/=http://127.0.0.1:8082/": pairs
// separated by spaces or commas. kInvalidArgument naming the bad pair otherwise.
Result<UrlRewrites> parse_url_rewrites(std::string_view setting);

// The URL with the first matching prefix replaced; unchanged when none matches.
std::string rewrite_url(const UrlRewrites& rewrites, const std::string& url);

}  // namespace mpli::trust
