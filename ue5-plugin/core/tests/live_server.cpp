// The real tower-server for the live tests (see live_server.h).
#include "live_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace tower_test {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// GET `path` from 127.0.0.1:`port` (HTTP/1.0, one second at most); the body, or empty.
std::string http_get(int port, const char* path) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return {};
    timeval timeout{};
    timeout.tv_sec = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    std::string response;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        const std::string request = std::string("GET ") + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
            char buf[4096];
            for (int reads = 0; reads < 1024; ++reads) {
                const ssize_t n = recv(fd, buf, sizeof buf, 0);
                if (n <= 0) break;
                response.append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    close(fd);
    const std::size_t body = response.find("\r\n\r\n");
    if (response.rfind("HTTP/1.", 0) != 0 || response.find(" 200 ") == std::string::npos || body == std::string::npos) {
        return {};
    }
    return response.substr(body + 4);
}

}  // namespace

int free_port(int type) {
    const int fd = socket(AF_INET, type, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        if (fd >= 0) close(fd);
        return 0;
    }
    close(fd);
    return ntohs(addr.sin_port);
}

std::optional<ServerProcess> ServerProcess::start(std::string& error, const ServerSpec& spec) {
    const char* env_bin = std::getenv("TOWER_SERVER_BIN");
    const std::string bin = env_bin != nullptr && *env_bin != '\0' ? env_bin : TOWER_SERVER_BIN_DEFAULT;
    if (bin.empty() || access(bin.c_str(), X_OK) != 0) {
        error = "tower-server binary not found: set TOWER_SERVER_BIN (got '" + bin + "')";
        return std::nullopt;
    }
    ServerProcess server;
    if (spec.cert_dir.empty()) {
        char dir_template[] = "/tmp/tower-live-XXXXXX";
        if (mkdtemp(dir_template) == nullptr) {
            error = "mkdtemp failed";
            return std::nullopt;
        }
        server.dir_ = dir_template;
        server.owns_dir_ = true;
    } else {
        server.dir_ = spec.cert_dir;
        // Rewritten at every start: its appearance says this server has read its identity.
        std::remove((server.dir_ + "/cert.sha256").c_str());
    }
    server.quic_port_ = spec.quic_port != 0 ? spec.quic_port : free_port(SOCK_DGRAM);
    server.metrics_port_ = free_port(SOCK_STREAM);
    server.address_ = "127.0.0.1:" + std::to_string(server.quic_port_);
    const std::string metrics = "127.0.0.1:" + std::to_string(server.metrics_port_);
    const std::string log = server.dir_ + "/server.log";
    std::vector<std::string> args = {bin, "--listen", server.address_, "--metrics-listen", metrics,
                                     "--cert-dir", server.dir_};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int rc = posix_spawn(&server.pid_, bin.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        error = "posix_spawn failed: " + std::to_string(rc);
        return std::nullopt;
    }
    // The fingerprint is written when the identity is loaded; the metrics port answers once
    // the game socket is bound.
    const auto deadline = Clock::now() + 60s;
    while (Clock::now() < deadline) {
        if (server.fingerprint_.empty()) {
            std::ifstream in(server.dir_ + "/cert.sha256");
            std::string fp;
            if (in >> fp && fp.size() >= 64) server.fingerprint_ = fp;
        }
        if (!server.fingerprint_.empty() && !server.metrics().empty()) {
            return server;
        }
        int status = 0;
        if (waitpid(server.pid_, &status, WNOHANG) == server.pid_) {
            server.pid_ = 0;
            error = "tower-server exited at start; log:\n" + server.log();
            return std::nullopt;
        }
        std::this_thread::sleep_for(50ms);
    }
    error = "tower-server did not come up within 60 s; log:\n" + server.log();
    return std::nullopt;
}

ServerProcess::ServerProcess(ServerProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, 0)),
      owns_dir_(std::exchange(other.owns_dir_, false)),
      quic_port_(other.quic_port_),
      metrics_port_(other.metrics_port_),
      dir_(std::move(other.dir_)),
      address_(std::move(other.address_)),
      fingerprint_(std::move(other.fingerprint_)) {
    other.dir_.clear();
}

ServerProcess::~ServerProcess() {
    stop();
    if (owns_dir_ && !dir_.empty()) {
        const std::string cmd = "rm -rf '" + dir_ + "'";
        (void)std::system(cmd.c_str());
    }
}

void ServerProcess::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = Clock::now() + 5s;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(20ms);
    }
    pid_ = 0;
}

void ServerProcess::kill_hard() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
}

std::string ServerProcess::log() const {
    std::ifstream in(dir_ + "/server.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string ServerProcess::metrics() const { return pid_ > 0 ? http_get(metrics_port_, "/metrics") : std::string(); }

std::optional<double> ServerProcess::metric(const std::string& sample) const {
    std::istringstream lines(metrics());
    std::string line;
    while (std::getline(lines, line)) {
        if (line.size() > sample.size() && line.compare(0, sample.size(), sample) == 0 && line[sample.size()] == ' ') {
            return std::strtod(line.c_str() + sample.size() + 1, nullptr);
        }
    }
    return std::nullopt;
}

}  // namespace tower_test
