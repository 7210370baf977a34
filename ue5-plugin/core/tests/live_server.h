// The real tower-server for the live tests: dev auth mode, free loopback ports, its
// certificate in a fresh directory (or an earlier server's, to restart it in place), and a
// reader for its Prometheus metrics. TOWER_SERVER_BIN (environment, else the CMake cache)
// names the binary.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace tower_test {

// A free loopback port of the given socket type (closed again; the server binds it next).
int free_port(int type);

struct ServerSpec {
    // 0: a free one.
    int quic_port = 0;
    // Empty: a fresh directory, removed with the server. Otherwise an existing one (kept):
    // the same certificate, so clients pinned to the earlier server's fingerprint connect.
    std::string cert_dir;
};

// Started by start(); stopped (SIGTERM, then SIGKILL) when the object dies.
class ServerProcess {
public:
    // Returns once the server has written its fingerprint and answers on its metrics port.
    static std::optional<ServerProcess> start(std::string& error, const ServerSpec& spec = ServerSpec{});

    ServerProcess(ServerProcess&& other) noexcept;
    ServerProcess& operator=(ServerProcess&&) = delete;
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    ~ServerProcess();

    // SIGKILL: no drain, no goodbye; clients notice only by their QUIC idle timeout.
    void kill_hard();

    const std::string& address() const { return address_; }
    int quic_port() const { return quic_port_; }
    const std::string& fingerprint() const { return fingerprint_; }
    const std::string& cert_dir() const { return dir_; }
    std::string log() const;
    // The body of GET /metrics, or empty when the server does not answer.
    std::string metrics() const;
    // The value of one sample line of metrics(), e.g. "tower_resumes_total", or nullopt
    // when absent.
    std::optional<double> metric(const std::string& sample) const;

private:
    ServerProcess() = default;
    void stop();

    pid_t pid_ = 0;
    bool owns_dir_ = false;
    int quic_port_ = 0;
    int metrics_port_ = 0;
    std::string dir_;
    std::string address_;
    std::string fingerprint_;
};

}  // namespace tower_test
