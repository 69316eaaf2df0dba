// The short names the agent's server files (local_server, proxy, upstream_pool) give Asio
// and Beast. Private to them.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

namespace signet::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

// Completion token of every co_await on I/O: errors come back as values, never thrown.
inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

}  // namespace signet::agent
