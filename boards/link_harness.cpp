// The UART pins of a Verilated eie_link (boards.link.EIELink: frame engine, array and UART),
// driven and sampled here with the clock toggled in C++: the host's serial line at
// `divisor` clock cycles per bit, 8N1 (docs/verification.md, "Native engine"). A C ABI for
// ctypes (boards/native_link.py). The same harness drives the RTL and a synthesized netlist
// of it: both have the ports clk, rst, rx, tx, busy, done, error, bad_frame.
//
// Each cycle: rx is set from the sender's current bit while clk is low, one rising and one
// falling edge, then tx is sampled. The sender holds each bit `divisor` cycles (start bit,
// eight data bits LSB first, stop bit); the receiver waits for tx low, samples the middle
// of each bit (divisor / 2 after the falling edge, then every divisor cycles) and keeps a
// byte whose stop bit is high. These are the bit-level models of the Amaranth simulation
// transport (boards/transport.py), so both engines see the same line.
//
// A $fatal or $finish of the design (a cell model refusing its parameters, say) does not end
// the process: Verilator prints its message, link_new returns null when it came during
// initialisation and link_run returns -1 once it has come.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "Veie_link.h"
#include "verilated.h"

namespace {

struct Link {
    std::unique_ptr<VerilatedContext> context;
    std::unique_ptr<Veie_link> top;
    uint64_t cycles = 0;
    int divisor;

    std::deque<uint8_t> to_device;
    int send_bit = -1;          // -1: idle; 0 start, 1..8 data, 9 stop
    int send_left = 0;          // cycles the current bit is still held
    uint8_t send_byte = 0;

    enum { IDLE, START, DATA, STOP } recv_state = IDLE;
    int recv_left = 0;
    int recv_bit = 0;
    uint8_t recv_byte = 0;
    std::vector<uint8_t> from_device;

    explicit Link(int div) : context(new VerilatedContext), divisor(div) {
        context->threads(1);
        context->fatalOnError(false);
        top.reset(new Veie_link(context.get(), "eie_link"));
        top->clk = 0;
        top->rst = 1;
        top->rx = 1;
        top->eval();
    }

    int line() {
        if (send_bit < 0) {
            if (to_device.empty()) return 1;
            send_byte = to_device.front();
            to_device.pop_front();
            send_bit = 0;
            send_left = divisor;
        }
        if (send_bit == 0) return 0;
        if (send_bit == 9) return 1;
        return (send_byte >> (send_bit - 1)) & 1;
    }

    void advance_sender() {
        if (send_bit < 0) return;
        if (--send_left == 0) {
            send_left = divisor;
            if (++send_bit > 9) send_bit = -1;
        }
    }

    void sample(int tx) {
        switch (recv_state) {
            case IDLE:
                if (!tx) {
                    recv_state = START;
                    recv_left = divisor / 2;
                }
                break;
            case START:
                if (--recv_left <= 0) {
                    recv_state = DATA;
                    recv_left = divisor;
                    recv_bit = 0;
                    recv_byte = 0;
                }
                break;
            case DATA:
                if (--recv_left == 0) {
                    recv_byte |= static_cast<uint8_t>(tx << recv_bit);
                    recv_left = divisor;
                    if (++recv_bit == 8) recv_state = STOP;
                }
                break;
            case STOP:
                if (--recv_left == 0) {
                    if (tx) from_device.push_back(recv_byte);
                    recv_state = IDLE;
                }
                break;
        }
    }

    void tick() {
        top->rx = line();
        top->clk = 1;
        top->eval();
        top->clk = 0;
        top->eval();
        ++cycles;
        advance_sender();
        sample(top->tx);
    }

    bool stopped() const { return context->gotFinish(); }

    bool quiet() const { return send_bit < 0 && to_device.empty() && recv_state == IDLE; }
};

}  // namespace

extern "C" {

// A new link at `divisor` clock cycles per bit (in reset until link_reset); null if the
// design stopped ($fatal, $finish) during initialisation.
void* link_new(int divisor) {
    Link* s = new Link(divisor);
    if (s->stopped()) {
        delete s;
        return nullptr;
    }
    return s;
}

void link_free(void* h) { delete static_cast<Link*>(h); }

uint64_t link_cycles(void* h) { return static_cast<Link*>(h)->cycles; }

// Synchronous reset for `n` cycles, the line idle; bytes in flight are dropped.
void link_reset(void* h, int n) {
    Link& s = *static_cast<Link*>(h);
    s.to_device.clear();
    s.send_bit = -1;
    s.recv_state = Link::IDLE;
    s.from_device.clear();
    s.top->rst = 1;
    for (int i = 0; i < n; ++i) s.tick();
    s.top->rst = 0;
    s.top->eval();
}

// Queue `n` bytes for the device's rx pin (sent as the clock runs).
void link_send(void* h, const uint8_t* data, int64_t n) {
    Link& s = *static_cast<Link*>(h);
    s.to_device.insert(s.to_device.end(), data, data + n);
}

// Clock at most `budget` cycles; stop early once bytes have come from the device and the line
// has been quiet (nothing being sent or received) for `quiet` cycles since. The bytes
// received (at most `max_out`; the rest stay for the next call) go to `out`; their number is
// returned, or -1 once the design has stopped ($fatal, $finish).
int64_t link_run(void* h, uint64_t budget, uint64_t quiet, uint8_t* out, int64_t max_out) {
    Link& s = *static_cast<Link*>(h);
    uint64_t still = 0;
    for (uint64_t spent = 0; spent < budget; ++spent) {
        if (s.stopped()) return -1;
        if (!s.from_device.empty() && still >= quiet) break;
        if (static_cast<int64_t>(s.from_device.size()) >= max_out) break;
        s.tick();
        still = s.quiet() ? still + 1 : 0;
    }
    if (s.stopped()) return -1;
    int64_t n = std::min<int64_t>(max_out, static_cast<int64_t>(s.from_device.size()));
    std::copy(s.from_device.begin(), s.from_device.begin() + n, out);
    s.from_device.erase(s.from_device.begin(), s.from_device.begin() + n);
    return n;
}

// The status pins: busy, done, error, bad_frame (as after the last clock edge).
void link_status(void* h, uint64_t* out) {
    Link& s = *static_cast<Link*>(h);
    out[0] = s.top->busy;
    out[1] = s.top->done;
    out[2] = s.top->error;
    out[3] = s.top->bad_frame;
}

}  // extern "C"
