// SPDX-License-Identifier: Apache-2.0
// Transport security between nodes: option validation, and mutual TLS
// through CAF's openssl module between actor systems in this process (a
// peer with a certificate from the right CA gets replies; one from another
// CA, or one speaking plain TCP, is refused).
#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/node/credit.hpp"
#include "nfactor/actors/node/security.hpp"
#include "nfactor/sys/netns.hpp"
#include "node_support.hpp"

namespace node_tls {
using namespace nfactor;
using namespace nfactor::actors;

using echo =
    caf::typed_actor<caf::replies_to<std::int32_t>::with<std::int32_t>>;

// (Takes an argument: CAF 0.17.6 spawning a function-based actor with none
// dereferences a null argument tuple, which UBSan reports.)
echo::behavior_type echo_impl(std::int32_t step) {
  return {[step](std::int32_t x) {
    return x + step;
  }};
}

// Spawns an echo in `side` and publishes it on loopback.
caf::expected<std::uint16_t> serve(test::node_side& side, bool tls) {
  auto e = side.sys->spawn(echo_impl, std::int32_t{1});
  side.to_stop.push_back(e.address()); // the middleman holds it
  return node::publish(e, 0, "127.0.0.1", tls);
}

// Asks `port` on loopback for echo(41) and returns the reply or the error.
caf::expected<std::int32_t> ask(test::node_side& client, std::uint16_t port,
                                bool tls) {
  test::watchdog connecting{"connecting to the echo"};
  auto h = node::connect<echo>(*client.sys, "127.0.0.1", port, tls);
  connecting.disarm();
  if (!h)
    return std::move(h.error());
  caf::scoped_actor self{*client.sys};
  caf::expected<std::int32_t> out = caf::sec::request_timeout;
  self->request(*h, std::chrono::seconds(10), std::int32_t{41})
      .receive([&](std::int32_t y) { out = y; },
               [&](caf::error& e) { out = std::move(e); });
  return out;
}

// The error of `x` as text, or "ok" (messages are evaluated even when a
// check passes).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{"ok"} : caf::to_string(x.error());
}

} // namespace node_tls

BOOST_AUTO_TEST_SUITE(node_tls)

BOOST_AUTO_TEST_CASE(loopback_addresses) {
  BOOST_TEST(node::is_loopback("127.0.0.1"));
  BOOST_TEST(node::is_loopback("127.1.2.3"));
  BOOST_TEST(node::is_loopback("::1"));
  BOOST_TEST(node::is_loopback("localhost"));
  BOOST_TEST(!node::is_loopback(""));
  BOOST_TEST(!node::is_loopback("0.0.0.0"));
  BOOST_TEST(!node::is_loopback("10.0.0.1"));
  BOOST_TEST(!node::is_loopback("::"));
  BOOST_TEST(!node::is_loopback("128.0.0.1"));
}

BOOST_AUTO_TEST_CASE(validation_happens_before_caf) {
  test::test_certs certs;
  node::security_options none;
  auto r = node::validate(none, "10.0.0.1");
  BOOST_TEST(!r);
  BOOST_TEST(test::why(r).find("no certificate") != std::string::npos,
             test::why(r));

  node::security_options insecure;
  insecure.insecure = true;
  BOOST_TEST(node::validate(insecure, "127.0.0.1"));
  BOOST_TEST(node::validate(insecure, "::1"));
  auto any = node::validate(insecure, "");
  BOOST_TEST(!any);
  BOOST_TEST(test::why(any).find("loopback") != std::string::npos,
             test::why(any));
  BOOST_TEST(!node::validate(insecure, "10.0.0.1"));

  auto mixed = test::tls_options(certs, "node");
  mixed.insecure = true;
  BOOST_TEST(!node::validate(mixed, "127.0.0.1"));

  BOOST_TEST(node::validate(test::tls_options(certs, "node"), "10.0.0.1"));
  auto missing_key = test::tls_options(certs, "node");
  missing_key.key = certs("nope.key");
  auto mk = node::validate(missing_key, "");
  BOOST_TEST(!mk);
  BOOST_TEST(test::why(mk).find("nope.key") != std::string::npos,
             test::why(mk));
  BOOST_TEST((mk.err().code == errno_code(ENOENT)));
  auto only_ca = node::security_options{};
  only_ca.cafile = certs("ca.pem");
  BOOST_TEST(!node::validate(only_ca, ""));
}

// The TLS cases talk TCP on loopback inside a scratch namespace.
BOOST_FIXTURE_TEST_CASE(mutual_tls_admits_only_certificates_of_the_ca,
                        test::netns_fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::test_certs certs;
  auto ns = netns.ns();
  test::node_side server{ns, test::tls_options(certs, "node"), "127.0.0.1"};
  auto port = serve(server, true);
  BOOST_REQUIRE_MESSAGE(port, why(port));

  test::node_side good{ns, test::tls_options(certs, "client"), "127.0.0.1"};
  auto reply = ask(good, *port, true);
  BOOST_REQUIRE_MESSAGE(reply, why(reply));
  BOOST_TEST(*reply == 42);

  // A certificate from another CA (the client trusts the node's CA, so
  // the refusal is the node's).
  test::node_side rogue{ns, test::tls_options(certs, "rogue", "ca"),
                        "127.0.0.1"};
  auto refused = ask(rogue, *port, true);
  BOOST_TEST(!refused);
  BOOST_TEST_MESSAGE("rogue client: " << why(refused));

  // No certificate at all: plain TCP (BASP without TLS).
  node::security_options plain;
  plain.insecure = true;
  test::node_side bare{ns, plain, "127.0.0.1"};
  auto refused_plain = ask(bare, *port, false);
  BOOST_TEST(!refused_plain);
  BOOST_TEST_MESSAGE("plain client: " << why(refused_plain));
}

BOOST_FIXTURE_TEST_CASE(insecure_mode_works_on_loopback, test::netns_fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  node::security_options plain;
  plain.insecure = true;
  auto ns = netns.ns();
  test::node_side server{ns, plain, "127.0.0.1"};
  auto port = serve(server, false);
  BOOST_REQUIRE_MESSAGE(port, why(port));
  test::node_side client{ns, plain, "127.0.0.1"};
  auto reply = ask(client, *port, false);
  BOOST_REQUIRE_MESSAGE(reply, why(reply));
  BOOST_TEST(*reply == 42);
}

BOOST_AUTO_TEST_CASE(credit_window_drops_counts_and_reports_once) {
  node::credit_window w{2};
  BOOST_TEST(w.take(10));
  BOOST_TEST(w.take(10));
  BOOST_TEST(!w.take(7));
  BOOST_TEST(!w.take(5));
  BOOST_TEST(w.in_flight() == 2u);
  w.release();
  auto loss = w.take_loss();
  BOOST_REQUIRE(loss.has_value());
  BOOST_TEST(loss->batches == 2u);
  BOOST_TEST(loss->events == 12u);
  BOOST_TEST(!w.take_loss().has_value());
  BOOST_TEST(w.take(1));
  BOOST_TEST(w.sent() == 3u);
  BOOST_TEST(w.total_dropped().events == 12u);
  w.release();
  w.release();
  w.release(); // more releases than takes stay at zero
  BOOST_TEST(w.in_flight() == 0u);
  BOOST_TEST(node::credit_window{0}.limit() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
