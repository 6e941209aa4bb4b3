// The host port of the Verilated eie_top, with the clock toggled here (docs/verification.md,
// "Native engine"). A C ABI for ctypes (sim/verify/native/library.py).
//
// Timing discipline: inputs are set while clk is low, eval() settles the combinational paths,
// the handshakes are sampled, then one rising and one falling edge make one cycle. A word
// moves in a cycle where valid and ready are both high at the sample point.
//
// Payloads arrive as little-endian arrays of 32-bit words (`stride` per payload), so ports of
// any width work: set_port / get_port are overloaded for Verilator's integer port types and
// for VlWide (ports wider than 64 bits).

#include <cstdint>
#include <memory>

#include "Veie_top.h"
#include "verilated.h"

// The Verilog ports host__<member>: Verilator escapes the second underscore of "__" as __05F.
#define HOST_WRITE_VALID host___05Fwrite___05Fvalid
#define HOST_WRITE_READY host___05Fwrite___05Fready
#define HOST_WRITE_PAYLOAD host___05Fwrite___05Fpayload
#define HOST_REQ_VALID host___05Fread_req___05Fvalid
#define HOST_REQ_READY host___05Fread_req___05Fready
#define HOST_REQ_PAYLOAD host___05Fread_req___05Fpayload
#define HOST_DATA_VALID host___05Fread_data___05Fvalid
#define HOST_DATA_READY host___05Fread_data___05Fready
#define HOST_DATA_PAYLOAD host___05Fread_data___05Fpayload
#define HOST_BUSY host___05Fbusy
#define HOST_DONE host___05Fdone
#define HOST_ERROR host___05Ferror
#define HOST_CYCLES host___05Fcycles
#define HOST_BROADCASTS host___05Fbroadcasts
#define HOST_STALLS host___05Fstalls
#define HOST_SPMAT_WORD_READS host___05Fspmat_word_reads
#define HOST_POINTER_READS host___05Fpointer_reads
#define HOST_MULTIPLIES host___05Fmultiplies
#define HOST_ACC_WRITES host___05Facc_writes

namespace {

template <typename T>
void set_port(T& port, const uint32_t* words, int stride) {
    uint64_t value = words[0];
    if (stride > 1) value |= static_cast<uint64_t>(words[1]) << 32;
    port = static_cast<T>(value);
}

template <std::size_t N>
void set_port(VlWide<N>& port, const uint32_t* words, int stride) {
    for (std::size_t i = 0; i < N; ++i)
        port[i] = static_cast<int>(i) < stride ? words[i] : 0u;
}

template <typename T>
uint64_t get_port(const T& port) {
    return static_cast<uint64_t>(port);
}

struct Harness {
    std::unique_ptr<VerilatedContext> context;
    std::unique_ptr<Veie_top> top;
    uint64_t cycles = 0;
    int act_width = 16;

    explicit Harness(int width) : context(new VerilatedContext), act_width(width) {
        context->threads(1);
        top.reset(new Veie_top(context.get(), "eie_top"));
        top->clk = 0;
        top->rst = 1;
        top->HOST_WRITE_VALID = 0;
        top->HOST_REQ_VALID = 0;
        top->HOST_DATA_READY = 0;
        top->eval();
    }

    void tick() {
        top->clk = 1;
        top->eval();
        top->clk = 0;
        top->eval();
        ++cycles;
    }

    int64_t signed_data() const {
        uint64_t raw = get_port(top->HOST_DATA_PAYLOAD);
        uint64_t mask = act_width >= 64 ? ~0ull : ((1ull << act_width) - 1);
        raw &= mask;
        uint64_t sign = 1ull << (act_width - 1);
        return static_cast<int64_t>((raw ^ sign) - sign);
    }
};

}  // namespace

extern "C" {

// A new array (in reset until eie_reset). act_width: bits of read_data (sign extension).
void* eie_new(int act_width) { return new Harness(act_width); }

void eie_free(void* h) { delete static_cast<Harness*>(h); }

uint64_t eie_cycles(void* h) { return static_cast<Harness*>(h)->cycles; }

// Synchronous reset for `n` cycles; every input stream idle afterwards.
void eie_reset(void* h, int n) {
    Harness& s = *static_cast<Harness*>(h);
    s.top->HOST_WRITE_VALID = 0;
    s.top->HOST_REQ_VALID = 0;
    s.top->HOST_DATA_READY = 0;
    s.top->rst = 1;
    for (int i = 0; i < n; ++i) s.tick();
    s.top->rst = 0;
    s.top->eval();
}

// Send `n` write payloads (`stride` 32-bit words each), honouring ready. Returns the number of
// payloads taken: `n`, or fewer when `budget` cycles passed first (a timeout).
int64_t eie_write(void* h, const uint32_t* payloads, int64_t n, int stride, uint64_t budget) {
    Harness& s = *static_cast<Harness*>(h);
    uint64_t spent = 0;
    int64_t sent = 0;
    while (sent < n && spent < budget) {
        set_port(s.top->HOST_WRITE_PAYLOAD, payloads + sent * stride, stride);
        s.top->HOST_WRITE_VALID = 1;
        // write.ready depends on registers only (docs/protocol.md: ready while no job runs),
        // so its value after the last falling edge is the one this rising edge sees; the
        // rising edge's eval settles the new payload first (Verilator's input region).
        bool fire = s.top->HOST_WRITE_READY;
        s.tick();
        ++spent;
        if (fire) ++sent;
    }
    s.top->HOST_WRITE_VALID = 0;
    s.top->eval();
    return sent;
}

// Clock until `done` is high, at most `budget` cycles. 1 when done, 0 on a timeout.
int eie_wait_done(void* h, uint64_t budget) {
    Harness& s = *static_cast<Harness*>(h);
    for (uint64_t spent = 0; !s.top->HOST_DONE; ++spent) {
        if (spent >= budget) return 0;
        s.tick();
    }
    return 1;
}

// Read `n` activations: requests (`stride` 32-bit words each) go out as read_req allows,
// read_data is always ready; answers in request order into `out`. Returns the number of
// answers received (`n`, or fewer on a timeout after `budget` cycles).
int64_t eie_read(void* h, const uint32_t* requests, int64_t n, int stride, int64_t* out,
                 uint64_t budget) {
    Harness& s = *static_cast<Harness*>(h);
    int64_t sent = 0, got = 0;
    uint64_t spent = 0;
    s.top->HOST_DATA_READY = 1;
    while (got < n && spent < budget) {
        bool want = sent < n;
        if (want) set_port(s.top->HOST_REQ_PAYLOAD, requests + sent * stride, stride);
        s.top->HOST_REQ_VALID = want;
        s.top->eval();
        bool req_fire = want && s.top->HOST_REQ_READY;
        bool data_fire = s.top->HOST_DATA_VALID;
        if (data_fire && got < n) out[got] = s.signed_data();
        s.tick();
        ++spent;
        if (req_fire) ++sent;
        if (data_fire) ++got;
    }
    s.top->HOST_REQ_VALID = 0;
    s.top->HOST_DATA_READY = 0;
    s.top->eval();
    return got;
}

// The status outputs: busy, done, error, cycles, broadcasts, stalls, read_data.valid, then
// the action counters in eie_hw.protocol.COUNTED_ACTIONS order (spmat_word_reads,
// pointer_reads, multiplies, acc_writes): 11 values.
void eie_status(void* h, uint64_t* out) {
    Harness& s = *static_cast<Harness*>(h);
    s.top->eval();
    out[0] = s.top->HOST_BUSY;
    out[1] = s.top->HOST_DONE;
    out[2] = s.top->HOST_ERROR;
    out[3] = s.top->HOST_CYCLES;
    out[4] = s.top->HOST_BROADCASTS;
    out[5] = s.top->HOST_STALLS;
    out[6] = s.top->HOST_DATA_VALID;
    out[7] = s.top->HOST_SPMAT_WORD_READS;
    out[8] = s.top->HOST_POINTER_READS;
    out[9] = s.top->HOST_MULTIPLIES;
    out[10] = s.top->HOST_ACC_WRITES;
}

// Clock `n` idle cycles.
void eie_idle(void* h, uint64_t n) {
    Harness& s = *static_cast<Harness*>(h);
    for (uint64_t i = 0; i < n; ++i) s.tick();
}

}  // extern "C"
