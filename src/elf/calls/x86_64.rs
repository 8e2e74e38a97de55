//! x86-64: the first argument is `edi`/`rdi`; PLT entries are `[endbr64;] jmp *slot(%rip)`.

use std::collections::HashMap;

use iced_x86::{Code, Decoder, DecoderOptions, Instruction, Mnemonic, OpKind, Register};

/// PLT entries are `[endbr64;] [bnd] jmp *slot(%rip)`: map each entry's start to the
/// function whose GOT slot it jumps through.
pub(super) fn plt_stubs(
    code: &[u8],
    base: u64,
    slots: &HashMap<u64, String>,
    out: &mut HashMap<u64, String>,
) {
    let mut decoder = Decoder::with_ip(64, code, base, DecoderOptions::NONE);
    let mut entry_start = None;
    let mut instr = Instruction::default();
    while decoder.can_decode() {
        decoder.decode_out(&mut instr);
        if instr.code() == Code::Endbr64 {
            entry_start = Some(instr.ip());
            continue;
        }
        if instr.mnemonic() == Mnemonic::Jmp && instr.is_ip_rel_memory_operand() {
            if let Some(name) = slots.get(&instr.ip_rel_memory_address()) {
                out.insert(instr.ip(), name.clone());
                if let Some(start) = entry_start {
                    out.insert(start, name.clone());
                }
            }
        }
        entry_start = None;
    }
}

/// Walk the code, tracking the last constant put in `edi`/`rdi`, and record each call (or
/// tail jump) to a target.
pub(super) fn scan(code: &[u8], base: u64, targets: &super::Targets, calls: &mut super::Calls) {
    let mut decoder = Decoder::with_ip(64, code, base, DecoderOptions::NONE);
    let mut instr = Instruction::default();
    let mut rdi: Option<i64> = None;
    while decoder.can_decode() {
        decoder.decode_out(&mut instr);
        let flow = instr.mnemonic() == Mnemonic::Call || instr.mnemonic() == Mnemonic::Jmp;
        if flow {
            if let Some(callee) = callee(&instr, targets) {
                super::record(callee, rdi, instr.ip(), targets, calls);
            }
        }
        if flow || instr.mnemonic() == Mnemonic::Ret {
            // The callee, or whatever runs next, may have changed rdi.
            rdi = None;
            continue;
        }
        if writes_rdi(&instr) {
            rdi = constant_into_rdi(&instr, rdi);
        }
    }
}

fn callee<'t>(instr: &Instruction, targets: &'t super::Targets) -> Option<&'t str> {
    match instr.op0_kind() {
        OpKind::NearBranch64 => targets
            .by_address
            .get(&instr.near_branch_target())
            .map(String::as_str),
        OpKind::Memory if instr.is_ip_rel_memory_operand() => targets
            .by_slot
            .get(&instr.ip_rel_memory_address())
            .map(String::as_str),
        _ => None,
    }
}

fn is_rdi(r: Register) -> bool {
    matches!(
        r,
        Register::RDI | Register::EDI | Register::DI | Register::DIL
    )
}

/// The instruction's first operand is rdi (or a part of it) and it writes it.
fn writes_rdi(instr: &Instruction) -> bool {
    writes(instr, is_rdi)
}

/// The constant rdi holds after `instr`, if it is one: `mov $15,%edi`, `xor %edi,%edi`,
/// `or $-1,%edi`, `mov $-1,%rdi`. Anything else makes it unknown.
fn constant_into_rdi(instr: &Instruction, before: Option<i64>) -> Option<i64> {
    let imm = match instr.op1_kind() {
        OpKind::Immediate8
        | OpKind::Immediate16
        | OpKind::Immediate32
        | OpKind::Immediate8to16
        | OpKind::Immediate8to32
        | OpKind::Immediate8to64
        | OpKind::Immediate32to64 => Some(instr.immediate(1) as i64),
        _ => None,
    };
    // A 32-bit write zero-extends; the C int argument is the low 32 bits, sign-extended.
    let as_int = |v: i64| i64::from(v as i32);
    match instr.mnemonic() {
        Mnemonic::Mov => imm.map(as_int),
        Mnemonic::Xor if instr.op1_kind() == OpKind::Register && is_rdi(instr.op1_register()) => {
            Some(0)
        }
        Mnemonic::Or if imm.map(as_int) == Some(-1) => Some(-1),
        Mnemonic::Or => before.zip(imm).map(|(b, i)| as_int(b | i)),
        Mnemonic::And => before.zip(imm).map(|(b, i)| as_int(b & i)),
        _ => None,
    }
}

/// A stripped binary's control flow, without names: its direct calls and tail jumps (with
/// the constant in rdi before each), and its system calls (with the constant number in eax
/// and the constant in rdi).
#[derive(Debug, Default)]
pub(super) struct Flow {
    /// (address, target, rdi, a `call` rather than a `jmp`)
    pub calls: Vec<(u64, u64, Option<i64>, bool)>,
    /// (address, number, rdi)
    pub syscalls: Vec<(u64, i64, Option<i64>)>,
}

pub(super) fn flow(code: &[u8], base: u64, out: &mut Flow) {
    let mut decoder = Decoder::with_ip(64, code, base, DecoderOptions::NONE);
    let mut instr = Instruction::default();
    let (mut rdi, mut rax): (Option<i64>, Option<i64>) = (None, None);
    while decoder.can_decode() {
        decoder.decode_out(&mut instr);
        let m = instr.mnemonic();
        if m == Mnemonic::Syscall {
            if let Some(nr) = rax {
                out.syscalls.push((instr.ip(), nr, rdi));
            }
            // The kernel returns in rax.
            rax = None;
            continue;
        }
        if m == Mnemonic::Call || m == Mnemonic::Jmp {
            if instr.op0_kind() == OpKind::NearBranch64 {
                out.calls.push((
                    instr.ip(),
                    instr.near_branch_target(),
                    rdi,
                    m == Mnemonic::Call,
                ));
            }
            rdi = None;
            rax = None;
            continue;
        }
        if m == Mnemonic::Ret {
            rdi = None;
            rax = None;
            continue;
        }
        if writes_rdi(&instr) {
            rdi = constant_into_rdi(&instr, rdi);
        }
        if writes(&instr, is_rax) {
            rax = match m {
                Mnemonic::Mov => constant_into_rdi(&instr, rax),
                Mnemonic::Xor
                    if instr.op1_kind() == OpKind::Register && is_rax(instr.op1_register()) =>
                {
                    Some(0)
                }
                _ => None,
            };
        } else if matches!(
            m,
            Mnemonic::Cpuid | Mnemonic::Rdtsc | Mnemonic::Cdq | Mnemonic::Cqo
        ) {
            rax = None;
        }
    }
}

fn is_rax(r: Register) -> bool {
    matches!(
        r,
        Register::RAX | Register::EAX | Register::AX | Register::AL
    )
}

/// The instruction's first operand is a register `reg` accepts, and it writes it.
fn writes(instr: &Instruction, reg: fn(Register) -> bool) -> bool {
    instr.op_count() > 0
        && instr.op0_kind() == OpKind::Register
        && reg(instr.op0_register())
        && !matches!(
            instr.mnemonic(),
            Mnemonic::Cmp | Mnemonic::Test | Mnemonic::Push
        )
}
