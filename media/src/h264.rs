//! H.264 bitstream facts shared by ingest and the ladder: reading a sequence
//! parameter set (picture size, chroma format, bit depths) from its RBSP.

/// Reads an SPS bit by bit (emulation-prevention bytes removed).
struct Bits {
    data: Vec<u8>,
    at: usize,
}

impl Bits {
    fn new(nal: &[u8]) -> Self {
        let mut data = Vec::with_capacity(nal.len());
        let mut zeros = 0;
        for &b in nal {
            if zeros >= 2 && b == 3 {
                zeros = 0;
                continue;
            }
            zeros = if b == 0 { zeros + 1 } else { 0 };
            data.push(b);
        }
        Self { data, at: 0 }
    }

    fn bit(&mut self) -> Option<u32> {
        let byte = self.data.get(self.at / 8)?;
        let bit = (byte >> (7 - self.at % 8)) & 1;
        self.at += 1;
        Some(u32::from(bit))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0, |acc, _| Some((acc << 1) | self.bit()?))
    }

    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some((1u32 << zeros) - 1 + self.bits(zeros)?)
    }

    fn se(&mut self) -> Option<i32> {
        let v = self.ue()?;
        let magnitude = i32::try_from(v.div_ceil(2)).ok()?;
        Some(if v % 2 == 1 { magnitude } else { -magnitude })
    }
}

/// What Cartcast reads from a sequence parameter set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sps {
    pub profile_idc: u8,
    pub chroma_format_idc: u8,
    pub bit_depth_luma_minus8: u8,
    pub bit_depth_chroma_minus8: u8,
    /// The cropped picture size.
    pub width: u16,
    pub height: u16,
}

impl Sps {
    /// Parses an SPS NAL unit, header byte included.
    pub fn parse(sps: &[u8]) -> Option<Sps> {
        let mut r = Bits::new(sps.get(1..)?);
        let profile = r.bits(8)?;
        r.bits(16)?; // constraint flags, level
        r.ue()?; // seq_parameter_set_id
        let (mut chroma_format, mut depth_luma, mut depth_chroma) = (1, 0, 0);
        if matches!(profile, 100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135) {
            chroma_format = r.ue()?;
            if chroma_format == 3 {
                r.bit()?; // separate_colour_plane_flag
            }
            depth_luma = r.ue()?;
            depth_chroma = r.ue()?;
            r.bit()?; // qpprime_y_zero_transform_bypass_flag
            if r.bit()? == 1 {
                let lists = if chroma_format == 3 { 12 } else { 8 };
                for i in 0..lists {
                    if r.bit()? == 1 {
                        skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                    }
                }
            }
        }
        r.ue()?; // log2_max_frame_num_minus4
        match r.ue()? {
            0 => {
                r.ue()?; // log2_max_pic_order_cnt_lsb_minus4
            }
            1 => {
                r.bit()?;
                r.se()?;
                r.se()?;
                for _ in 0..r.ue()? {
                    r.se()?;
                }
            }
            _ => {}
        }
        r.ue()?; // max_num_ref_frames
        r.bit()?; // gaps_in_frame_num_value_allowed_flag
        let width_mbs = r.ue()? + 1;
        let height_units = r.ue()? + 1;
        let frame_mbs_only = r.bit()?;
        if frame_mbs_only == 0 {
            r.bit()?; // mb_adaptive_frame_field_flag
        }
        r.bit()?; // direct_8x8_inference_flag
        let (mut crop_x, mut crop_y) = (0, 0);
        if r.bit()? == 1 {
            let (left, right, top, bottom) = (r.ue()?, r.ue()?, r.ue()?, r.ue()?);
            let (unit_x, unit_y) = match chroma_format {
                0 => (1, 2 - frame_mbs_only),
                1 => (2, 2 * (2 - frame_mbs_only)),
                2 => (2, 2 - frame_mbs_only),
                _ => (1, 2 - frame_mbs_only),
            };
            crop_x = unit_x * (left + right);
            crop_y = unit_y * (top + bottom);
        }
        let width = (width_mbs * 16).checked_sub(crop_x)?;
        let height = (height_units * 16 * (2 - frame_mbs_only)).checked_sub(crop_y)?;
        Some(Sps {
            profile_idc: u8::try_from(profile).ok()?,
            chroma_format_idc: u8::try_from(chroma_format).ok().filter(|&v| v <= 3)?,
            bit_depth_luma_minus8: u8::try_from(depth_luma).ok().filter(|&v| v <= 6)?,
            bit_depth_chroma_minus8: u8::try_from(depth_chroma).ok().filter(|&v| v <= 6)?,
            width: u16::try_from(width).ok()?,
            height: u16::try_from(height).ok()?,
        })
    }
}

fn skip_scaling_list(r: &mut Bits, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            next = (last + r.se()? + 256) % 256;
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // x264's SPS for 1280x720 (no cropping) and for 1920x1080 (1088 coded rows
    // cropped by 8), made with `ffmpeg -f lavfi -i testsrc2=size=WxH -c:v libx264`.
    pub(crate) const SPS_720: [u8; 26] = [
        0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00,
        0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60,
    ];
    const SPS_1080: [u8; 27] = [
        0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04,
        0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc6, 0x58,
    ];

    #[test]
    fn reads_the_cropped_picture_size_and_format() {
        let sps = Sps::parse(&SPS_720).unwrap();
        assert_eq!((sps.width, sps.height, sps.profile_idc, sps.chroma_format_idc), (1280, 720, 100, 1));
        assert_eq!((sps.bit_depth_luma_minus8, sps.bit_depth_chroma_minus8), (0, 0));
        let sps = Sps::parse(&SPS_1080).unwrap();
        assert_eq!((sps.width, sps.height), (1920, 1080));
        assert_eq!(Sps::parse(&SPS_1080[..6]), None);
    }
}
