// The Nakama match notification (nakama/modules/tower_matchmaker.lua) read by the core:
// what the module sends is accepted, everything malformed is refused with a reason.
#include <gtest/gtest.h>

#include <string>

#include "TowerCore/MatchNotification.h"

namespace {

const std::string kPin(64, 'b');

std::string notification(const std::string& address, const std::string& port, const std::string& fingerprint,
                         const std::string& ticket) {
    return "{\"server_id\":\"s-1\",\"address\":" + address + ",\"port\":" + port + ",\"fingerprint\":" +
           fingerprint + ",\"ticket\":" + ticket + ",\"expires_at\":1767225600}";
}

TEST(MatchNotification, CodesOfTheLuaModule) {
    EXPECT_EQ(tower::classify_notification(100), tower::NotificationKind::MatchReady);
    EXPECT_EQ(tower::classify_notification(101), tower::NotificationKind::NoGameServer);
    EXPECT_EQ(tower::classify_notification(-2), tower::NotificationKind::Other);
    EXPECT_EQ(tower::classify_notification(0), tower::NotificationKind::Other);
}

TEST(MatchNotification, WhatTheModuleSendsIsAccepted) {
    const auto parsed = tower::parse_match_ready(
        notification("\"game.example.org\"", "4433", "\"" + kPin + "\"", "\"eyJhbGciOi.x.y\""));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed.value().server_address, "game.example.org:4433");
    EXPECT_EQ(parsed.value().host, "game.example.org");
    EXPECT_EQ(parsed.value().port, 4433);
    EXPECT_EQ(parsed.value().fingerprint, kPin);
    EXPECT_EQ(parsed.value().ticket, "eyJhbGciOi.x.y");
}

TEST(MatchNotification, Ipv6AddressIsBracketedAndColonFingerprintNormalized) {
    std::string colons;
    for (int i = 0; i < 32; ++i) colons += (i == 0 ? "" : ":") + std::string("BB");
    const auto parsed = tower::parse_match_ready(
        " {\n \"ticket\" : \"t\" , \"port\" : 7.0e3, \"address\":\"::1\", \"fingerprint\":\"" + colons + "\" } \n");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed.value().server_address, "[::1]:7000");
    EXPECT_EQ(parsed.value().fingerprint, kPin);
}

TEST(MatchNotification, EscapesAndNestedUnknownFieldsAreHandled) {
    const auto parsed = tower::parse_match_ready(
        "{\"meta\":{\"a\":[1,2,{\"b\":null}],\"c\":true},\"address\":\"h\\u00e9\\/x\",\"port\":1,"
        "\"fingerprint\":\"" + kPin + "\",\"ticket\":\"q\\\"\\\\\\ud83d\\ude00\"}");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed.value().host, "h\xc3\xa9/x");
    EXPECT_EQ(parsed.value().ticket, "q\"\\\xf0\x9f\x98\x80");
}

TEST(MatchNotification, MissingOrMistypedFieldsAreNamed) {
    const std::string pin = "\"" + kPin + "\"";
    struct Case {
        std::string json;
        std::string field;
    };
    const Case cases[] = {
        {notification("\"\"", "4433", pin, "\"t\""), "address"},
        {notification("42", "4433", pin, "\"t\""), "address"},
        {notification("\"bad host\"", "4433", pin, "\"t\""), "address"},
        {notification("\"h\"", "0", pin, "\"t\""), "port"},
        {notification("\"h\"", "65536", pin, "\"t\""), "port"},
        {notification("\"h\"", "44.5", pin, "\"t\""), "port"},
        {notification("\"h\"", "\"4433\"", pin, "\"t\""), "port"},
        {notification("\"h\"", "-1", pin, "\"t\""), "port"},
        {notification("\"h\"", "4433", "\"abc\"", "\"t\""), "fingerprint"},
        {notification("\"h\"", "4433", "null", "\"t\""), "fingerprint"},
        {notification("\"h\"", "4433", pin, "\"\""), "ticket"},
        {notification("\"h\"", "4433", pin, "[]"), "ticket"},
    };
    for (const Case& c : cases) {
        const auto parsed = tower::parse_match_ready(c.json);
        ASSERT_FALSE(parsed.ok()) << c.json;
        EXPECT_EQ(parsed.error().status, TOWER_STATUS_INVALID_ARGUMENT);
        EXPECT_NE(parsed.error().message.find(c.field), std::string::npos) << parsed.error().message;
    }
}

TEST(MatchNotification, MalformedJsonIsRefused) {
    const std::string good = notification("\"h\"", "4433", "\"" + kPin + "\"", "\"t\"");
    ASSERT_TRUE(tower::parse_match_ready(good).ok());
    const std::string bad[] = {
        "",
        "[]",
        "null",
        good + "x",
        good + good,
        good.substr(0, good.size() - 1),
        "{\"address\":\"h\",}",
        "{\"address\":\"h\" \"port\":1}",
        "{\"address\":\"a\x01\"}",
        "{\"address\":\"\\x\"}",
        "{\"address\":\"\\ud800\"}",
        "{\"address\":\"\\udc00\"}",
        "{\"port\":01}",
        "{\"port\":1.}",
        "{\"port\":1e}",
        "{\"port\":1e999}",
        "{\"a\":tru}",
        "{'address':'h'}",
    };
    for (const std::string& json : bad) {
        EXPECT_FALSE(tower::parse_match_ready(json).ok()) << json;
    }
}

TEST(MatchNotification, DepthAndSizeAreBounded) {
    std::string deep = "{\"x\":";
    for (int i = 0; i < 10000; ++i) deep += "[";
    for (int i = 0; i < 10000; ++i) deep += "]";
    deep += "}";
    EXPECT_FALSE(tower::parse_match_ready(deep).ok());  // no stack overflow either

    std::string shallow = "{\"x\":";
    for (int i = 0; i < 8; ++i) shallow += "[";
    for (int i = 0; i < 8; ++i) shallow += "]";
    shallow += ",\"address\":\"h\",\"port\":1,\"fingerprint\":\"" + kPin + "\",\"ticket\":\"t\"}";
    EXPECT_TRUE(tower::parse_match_ready(shallow).ok());

    const std::string huge = "{\"address\":\"" + std::string(tower::kMaxNotificationBytes, 'a') + "\"}";
    const auto parsed = tower::parse_match_ready(huge);
    ASSERT_FALSE(parsed.ok());
    EXPECT_NE(parsed.error().message.find("64 KiB"), std::string::npos);
}

TEST(MatchNotification, ErrorsNeverEchoTheTicket) {
    const auto parsed = tower::parse_match_ready(
        "{\"address\":\"h\",\"port\":0,\"fingerprint\":\"" + kPin + "\",\"ticket\":\"SECRET-TICKET\"}");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().message.find("SECRET"), std::string::npos);
}

}  // namespace
