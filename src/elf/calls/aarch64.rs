//! aarch64: the first argument is `w0`/`x0`; calls are `bl`, tail calls `b`. A PLT entry is
//! `adrp x16, page; ldr x17, [x16, #off]; add x16, x16, #off; br x17`: the GOT slot is the
//! page plus the load's offset.

use std::collections::HashMap;

use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::{InstDecoder, Instruction, Opcode, Operand, SizeCode};

/// Each instruction with its address; undecodable words are skipped (data in code).
fn instructions(code: &[u8], base: u64) -> impl Iterator<Item = (u64, Option<Instruction>)> + '_ {
    let decoder = InstDecoder::default();
    code.chunks_exact(4).enumerate().map(move |(i, word)| {
        let mut reader = U8Reader::new(word);
        let at = base.wrapping_add(4 * i as u64);
        (at, decoder.decode(&mut reader).ok())
    })
}

pub(super) fn plt_stubs(
    code: &[u8],
    base: u64,
    slots: &HashMap<u64, String>,
    out: &mut HashMap<u64, String>,
) {
    // The entry starts at its adrp; the slot is known once the ldr from x16 is read.
    let mut page: Option<(u64, u64)> = None;
    for (at, instr) in instructions(code, base) {
        let Some(instr) = instr else {
            page = None;
            continue;
        };
        match (instr.opcode, instr.operands[0], instr.operands[1]) {
            (Opcode::ADRP, Operand::Register(SizeCode::X, 16), Operand::PCOffset(off)) => {
                page = Some((at, (at & !0xfff).wrapping_add(off as u64)));
            }
            (Opcode::LDR, Operand::Register(SizeCode::X, 17), mem) => {
                let slot = page
                    .and_then(|(start, p)| Some((start, p.wrapping_add(offset_from_x16(mem)?))));
                if let Some((start, slot)) = slot {
                    if let Some(name) = slots.get(&slot) {
                        out.insert(start, name.clone());
                    }
                }
            }
            _ => {}
        }
    }
}

/// The offset of `[x16, #off]`.
fn offset_from_x16(mem: Operand) -> Option<u64> {
    match mem {
        Operand::RegPreIndex(16, off, false) => Some(off as i64 as u64),
        Operand::RegPreIndex(16, off, true) => Some(off as i64 as u64),
        _ => None,
    }
}

/// Walk the code, tracking the last constant put in `w0`/`x0`, and record each `bl` (or
/// tail `b`) to a target.
pub(super) fn scan(code: &[u8], base: u64, targets: &super::Targets, calls: &mut super::Calls) {
    let mut x0: Option<i64> = None;
    for (at, instr) in instructions(code, base) {
        let Some(instr) = instr else {
            x0 = None;
            continue;
        };
        match instr.opcode {
            Opcode::BL | Opcode::B => {
                if let Operand::PCOffset(off) = instr.operands[0] {
                    let target = at.wrapping_add(off as u64);
                    if let Some(callee) = targets.by_address.get(&target) {
                        super::record(callee, x0, at, targets, calls);
                    }
                }
                x0 = None;
            }
            Opcode::BLR | Opcode::BR | Opcode::RET => x0 = None,
            _ if writes_x0(&instr) => x0 = constant_into_x0(&instr),
            _ => {}
        }
    }
}

/// The instruction's destination is `w0`/`x0` (stores, compares and branches only read it).
fn writes_x0(instr: &Instruction) -> bool {
    if !matches!(instr.operands[0], Operand::Register(_, 0)) {
        return false;
    }
    let name = instr.opcode.to_string();
    !(name.starts_with("st")
        || name.starts_with("cb")
        || name.starts_with("tb")
        || name.starts_with("prfm"))
}

/// The constant `x0` holds after `instr`, if it is one: `mov w0, #15` (movz), `mov w0,
/// #-1` (movn), `mov w0, wzr` and `mov w0, #imm` (orr with the zero register).
fn constant_into_x0(instr: &Instruction) -> Option<i64> {
    let Operand::Register(size, 0) = instr.operands[0] else {
        return None;
    };
    // The C int argument is the low 32 bits, sign-extended.
    let as_int = |v: u64| i64::from(v as u32 as i32);
    let value = match (instr.opcode, instr.operands[1], instr.operands[2]) {
        (Opcode::MOVZ, Operand::ImmShift(imm, shift), _) => u64::from(imm) << shift,
        (Opcode::MOVN, Operand::ImmShift(imm, shift), _) => !(u64::from(imm) << shift),
        (Opcode::ORR, Operand::Register(_, 31), Operand::Register(_, 31)) => 0,
        (Opcode::ORR, Operand::Register(_, 31), Operand::Immediate(imm)) => u64::from(imm),
        (Opcode::ORR, Operand::Register(_, 31), Operand::Imm64(imm)) => imm,
        _ => return None,
    };
    Some(match size {
        SizeCode::W | SizeCode::X => as_int(value),
    })
}
