// Where to connect and as whom: server address formatting, the library's fingerprint
// forms, and Nakama's device-id length rule.
#include <gtest/gtest.h>

#include <string>

#include "TowerCore/Endpoint.h"

namespace {

const std::string kPin(64, 'a');

TEST(Endpoint, HostNamesAndIpv4PassThrough) {
    EXPECT_EQ(tower::format_server_address("127.0.0.1", 4433), "127.0.0.1:4433");
    EXPECT_EQ(tower::format_server_address("game-1.example.org", 443), "game-1.example.org:443");
    EXPECT_EQ(tower::format_server_address("localhost", 1), "localhost:1");
}

TEST(Endpoint, Ipv6LiteralsGetBracketsOnce) {
    EXPECT_EQ(tower::format_server_address("::1", 4433), "[::1]:4433");
    EXPECT_EQ(tower::format_server_address("fe80::1", 65535), "[fe80::1]:65535");
    EXPECT_EQ(tower::format_server_address("[::1]", 4433), "[::1]:4433");
}

TEST(Endpoint, UnusableHostsAndPortZeroAreRefused) {
    EXPECT_FALSE(tower::format_server_address("", 4433));
    EXPECT_FALSE(tower::format_server_address("127.0.0.1", 0));
    EXPECT_FALSE(tower::format_server_address("bad host", 4433));
    EXPECT_FALSE(tower::format_server_address(std::string("bad\0host", 8), 4433));
    EXPECT_FALSE(tower::format_server_address("tab\there", 4433));
    EXPECT_FALSE(tower::format_server_address(std::string(254, 'a'), 4433));
    EXPECT_TRUE(tower::format_server_address(std::string(253, 'a'), 4433));
    EXPECT_FALSE(tower::format_server_address("[::1", 4433));
    EXPECT_FALSE(tower::format_server_address("::1]", 4433));
    EXPECT_FALSE(tower::format_server_address("[]", 4433));
    EXPECT_FALSE(tower::format_server_address("[[::1]]", 4433));
}

TEST(Endpoint, FingerprintFormsOfTheLibrary) {
    EXPECT_EQ(tower::normalize_fingerprint(kPin), kPin);
    EXPECT_EQ(tower::normalize_fingerprint(std::string(64, 'A')), kPin);
    std::string colons;
    for (int i = 0; i < 32; ++i) {
        colons += (i == 0 ? "" : ":");
        colons += "AB";
    }
    std::string expected;
    for (int i = 0; i < 32; ++i) expected += "ab";
    EXPECT_EQ(tower::normalize_fingerprint(" " + colons + "\n"), expected);
}

TEST(Endpoint, BadFingerprintsAreRefused) {
    EXPECT_FALSE(tower::normalize_fingerprint(""));
    EXPECT_FALSE(tower::normalize_fingerprint(std::string(63, 'a')));
    EXPECT_FALSE(tower::normalize_fingerprint(std::string(65, 'a')));
    EXPECT_FALSE(tower::normalize_fingerprint(std::string(62, 'a') + "zz"));
    EXPECT_FALSE(tower::normalize_fingerprint(std::string(32, 'a') + " " + std::string(32, 'a')));
}

TEST(Endpoint, DeviceIdLengthIsNakamas) {
    EXPECT_NE(tower::device_id_problem(""), "");
    EXPECT_NE(tower::device_id_problem("123456789"), "");  // 9 bytes
    EXPECT_EQ(tower::device_id_problem("1234567890"), "");  // 10
    EXPECT_EQ(tower::device_id_problem(std::string(128, 'd')), "");
    EXPECT_NE(tower::device_id_problem(std::string(129, 'd')), "");
    // Bytes, not characters: five two-byte characters are 10 bytes.
    EXPECT_EQ(tower::device_id_problem("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), "");
    // The message never echoes the id.
    EXPECT_EQ(tower::device_id_problem("secret-id").find("secret"), std::string::npos);
}

}  // namespace
