// MULT18X18D (ECP5 18 x 18 multiplier) for gate-level simulation of ECP5 netlists
// (boards/gate_level.py): the project's reading of the ECP5 DSP documentation (Lattice
// TN1267, "ECP5 and ECP5-5G sysDSP Usage Guide") and of Yosys' ECP5 multiplier mapping
// (share/lattice/dsp_map_18x18.v, which sets no parameter). It is not Lattice's model, and it
// models only that configuration; any other parameter setting stops the simulation ($fatal
// in an initial block), and a pin it does not declare (the shift chains SRIA/SRIB/SROA/SROB
// and the ROA/ROB/ROC outputs) fails the Verilator build.
//
// What this model implements: no input, pipeline or output register (every REG_*_CLK
// "NONE", so CLK*, CE*, RST* and the registers' CE/RST selections have no effect),
// MULT_BYPASS "DISABLED", SOURCEB_MODE "B_SHIFT", CAS_MATCH_REG "FALSE", the inputs taken from
// A and B (SOURCEA and SOURCEB low; the simulation stops if either is high): P = A x B, the
// full 36-bit product, A a two's-complement number if SIGNEDA is high else unsigned, B likewise
// with SIGNEDB; SIGNEDP = SIGNEDA | SIGNEDB. C only feeds ROC (not modelled) and is ignored.
// CLK*_DIV, HIGHSPEED_CLK, GSR and RESETMODE only concern the registers and are accepted.
module MULT18X18D (
    input A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1, A0,
    input B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2, B1, B0,
    input C17, C16, C15, C14, C13, C12, C11, C10, C9, C8, C7, C6, C5, C4, C3, C2, C1, C0,
    input SIGNEDA, SIGNEDB, SOURCEA, SOURCEB,
    input CLK3, CLK2, CLK1, CLK0, CE3, CE2, CE1, CE0, RST3, RST2, RST1, RST0,
    output P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21, P20, P19, P18, P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2, P1, P0,
    output SIGNEDP
);
    parameter REG_INPUTA_CLK = "NONE";
    parameter REG_INPUTA_CE = "CE0";
    parameter REG_INPUTA_RST = "RST0";
    parameter REG_INPUTB_CLK = "NONE";
    parameter REG_INPUTB_CE = "CE0";
    parameter REG_INPUTB_RST = "RST0";
    parameter REG_INPUTC_CLK = "NONE";
    parameter REG_INPUTC_CE = "CE0";
    parameter REG_INPUTC_RST = "RST0";
    parameter REG_PIPELINE_CLK = "NONE";
    parameter REG_PIPELINE_CE = "CE0";
    parameter REG_PIPELINE_RST = "RST0";
    parameter REG_OUTPUT_CLK = "NONE";
    parameter REG_OUTPUT_CE = "CE0";
    parameter REG_OUTPUT_RST = "RST0";
    parameter CLK0_DIV = "ENABLED";
    parameter CLK1_DIV = "ENABLED";
    parameter CLK2_DIV = "ENABLED";
    parameter CLK3_DIV = "ENABLED";
    parameter HIGHSPEED_CLK = "NONE";
    parameter GSR = "ENABLED";
    parameter CAS_MATCH_REG = "FALSE";
    parameter SOURCEB_MODE = "B_SHIFT";
    parameter MULT_BYPASS = "DISABLED";
    parameter RESETMODE = "SYNC";

    initial begin
        if (REG_INPUTA_CLK != "NONE" || REG_INPUTB_CLK != "NONE" || REG_INPUTC_CLK != "NONE"
            || REG_PIPELINE_CLK != "NONE" || REG_OUTPUT_CLK != "NONE")
            $fatal(1, "MULT18X18D %m: a register (REG_INPUTA/B/C_CLK=%0s/%0s/%0s, REG_PIPELINE_CLK=%0s, REG_OUTPUT_CLK=%0s) is not modelled (NONE only)",
                   REG_INPUTA_CLK, REG_INPUTB_CLK, REG_INPUTC_CLK, REG_PIPELINE_CLK,
                   REG_OUTPUT_CLK);
        if (MULT_BYPASS != "DISABLED")
            $fatal(1, "MULT18X18D %m: MULT_BYPASS=%0s is not modelled", MULT_BYPASS);
        if (SOURCEB_MODE != "B_SHIFT")
            $fatal(1, "MULT18X18D %m: SOURCEB_MODE=%0s is not modelled", SOURCEB_MODE);
        if (CAS_MATCH_REG != "FALSE")
            $fatal(1, "MULT18X18D %m: CAS_MATCH_REG=%0s is not modelled", CAS_MATCH_REG);
    end

    always @(SOURCEA or SOURCEB)
        if (SOURCEA || SOURCEB)
            $fatal(1, "MULT18X18D %m: SOURCEA/SOURCEB high (shift-chain input) is not modelled");

    wire [17:0] a = {A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1, A0};
    wire [17:0] b = {B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2, B1, B0};
    // Each operand extended to 36 bits by its sign (SIGNEDx) or by zeros: the low 36 bits of
    // the product of the extensions are the exact product, which fits in 36 bits either way.
    wire [35:0] a_ext = {{18{SIGNEDA & a[17]}}, a};
    wire [35:0] b_ext = {{18{SIGNEDB & b[17]}}, b};
    wire [35:0] p = a_ext * b_ext;

    assign {P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21, P20, P19, P18, P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2, P1, P0} = p;
    assign SIGNEDP = SIGNEDA | SIGNEDB;
endmodule
