//! Thumbnails of scanned pages. JPEGs are decoded at a reduced DCT scale (as libjpeg-turbo and
//! libvips do), so a 300-dpi A4 page is never decoded at full size; then a box filter brings
//! the image within the bound, and it is written as PNG.

use crate::FileKind;

/// RGB pixels.
struct Rgb {
    width: usize,
    height: usize,
    data: Vec<u8>,
}

fn decode_jpeg(bytes: &[u8], max: u16) -> Result<Rgb, String> {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    let (w, h) = d.scale(max, max).map_err(|e| e.to_string())?;
    let pixels = d.decode().map_err(|e| e.to_string())?;
    let info = d.info().ok_or("no image header")?;
    let (w, h) = (w as usize, h as usize);
    let data = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&g| [g, g, g]).collect(),
        jpeg_decoder::PixelFormat::L16 => pixels
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0]])
            .collect(),
        jpeg_decoder::PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|c| {
                let k = 255 - u32::from(c[3]);
                [c[0], c[1], c[2]].map(|v| ((255 - u32::from(v)) * k / 255) as u8)
            })
            .collect(),
    };
    if data.len() != w * h * 3 {
        return Err(format!("decoded {} bytes for {w}×{h}", data.len()));
    }
    Ok(Rgb {
        width: w,
        height: h,
        data,
    })
}

fn decode_png(bytes: &[u8]) -> Result<Rgb, String> {
    let mut d = png::Decoder::new(std::io::Cursor::new(bytes));
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = d.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let frame = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let px = &buf[..frame.buffer_size()];
    let data: Vec<u8> = match frame.color_type {
        png::ColorType::Rgb => px.to_vec(),
        png::ColorType::Rgba => px
            .chunks_exact(4)
            .flat_map(|c| [c[0], c[1], c[2]])
            .collect(),
        png::ColorType::Grayscale => px.iter().flat_map(|&g| [g, g, g]).collect(),
        png::ColorType::GrayscaleAlpha => px
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0]])
            .collect(),
        png::ColorType::Indexed => return Err("palette not expanded".into()),
    };
    Ok(Rgb {
        width: frame.width as usize,
        height: frame.height as usize,
        data,
    })
}

/// Averages boxes of source pixels so the result fits within `max`×`max`.
fn fit(img: Rgb, max: usize) -> Rgb {
    let scale = (img.width.max(img.height) as f64 / max as f64).max(1.0);
    let (w, h) = (
        ((img.width as f64 / scale).round() as usize).max(1),
        ((img.height as f64 / scale).round() as usize).max(1),
    );
    if (w, h) == (img.width, img.height) {
        return img;
    }
    let mut data = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        let (y0, y1) = (
            y * img.height / h,
            ((y + 1) * img.height / h).max(y * img.height / h + 1),
        );
        for x in 0..w {
            let (x0, x1) = (
                x * img.width / w,
                ((x + 1) * img.width / w).max(x * img.width / w + 1),
            );
            let mut sum = [0u32; 3];
            for sy in y0..y1 {
                let row = &img.data[(sy * img.width + x0) * 3..(sy * img.width + x1) * 3];
                for px in row.chunks_exact(3) {
                    for c in 0..3 {
                        sum[c] += u32::from(px[c]);
                    }
                }
            }
            let n = ((y1 - y0) * (x1 - x0)) as u32;
            data.extend(sum.map(|s| (s / n) as u8));
        }
    }
    Rgb {
        width: w,
        height: h,
        data,
    }
}

fn encode_png(img: &Rgb) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, img.width as u32, img.height as u32);
    e.set_color(png::ColorType::Rgb);
    e.set_depth(png::BitDepth::Eight);
    let mut w = e.write_header().map_err(|e| e.to_string())?;
    w.write_image_data(&img.data).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// Runs a poppler tool (`pdfinfo`, `pdftoppm`) on `pdf` given on its standard input, with
/// its own file argument `-`; its standard output, or the first line of its complaint.
pub fn poppler(cmd: &str, args: &[&str], pdf: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{cmd} cannot be run ({e}); install poppler-utils"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    // Written from its own thread: poppler may answer before it has read it all.
    let out = std::thread::scope(|scope| {
        scope.spawn(move || {
            let _ = stdin.write_all(pdf);
        });
        child.wait_with_output()
    })
    .map_err(|e| format!("{cmd} failed ({e})"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or("unreadable")
            .trim()
            .to_string())
    }
}

/// A PDF's page count (`pdfinfo`); a PDF without pages is an error.
pub fn pdf_pages(pdf: &[u8]) -> Result<u32, String> {
    let info = poppler("pdfinfo", &["-"], pdf)?;
    let pages = String::from_utf8_lossy(&info)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse::<u32>()))
        .ok_or("pdfinfo reported no page count")?
        .map_err(|e| e.to_string())?;
    if pages == 0 {
        return Err("no pages".into());
    }
    Ok(pages)
}

/// A PDF's page count (`pdfinfo`) and its first page as a PNG within `max`×`max`
/// (`pdftoppm`), both from Debian's poppler-utils, fed the bytes on their standard input so
/// no plaintext copy touches the disk. The error is poppler's own word.
pub fn pdf_first_page(pdf: &[u8], max: u16) -> Result<(u32, Vec<u8>), String> {
    let run = |cmd: &str, args: &[&str]| poppler(cmd, args, pdf);
    let pages = pdf_pages(pdf)?;
    let size = max.to_string();
    let png = run(
        "pdftoppm",
        &[
            "-f",
            "1",
            "-l",
            "1",
            "-scale-to",
            &size,
            "-png",
            "-singlefile",
            "-",
        ],
    )?;
    if !png.starts_with(b"\x89PNG") {
        return Err("pdftoppm produced no image".into());
    }
    Ok((pages, png))
}

/// A PNG thumbnail no larger than `max`×`max`; the error says why the image cannot be read.
pub fn render(kind: FileKind, bytes: &[u8], max: u16) -> Result<Vec<u8>, String> {
    let img = match kind {
        FileKind::Jpeg => decode_jpeg(bytes, max)?,
        FileKind::Png => decode_png(bytes)?,
        FileKind::Pdf => return Err("PDF thumbnails are made by poppler".into()),
    };
    encode_png(&fit(img, max as usize))
}

/// An uncompressed 24- or 32-bit BMP (what ID-card readers write for the photo) as PNG.
pub fn bmp_to_png(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let u32_at = |o: usize| -> Result<u32, String> {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "BMP header is truncated".to_string())
    };
    if !bytes.starts_with(b"BM") {
        return Err("not a BMP file".into());
    }
    let offset = u32_at(10)? as usize;
    let width = u32_at(18)? as i32;
    let height = u32_at(22)? as i32;
    let bpp = bytes
        .get(28..30)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or("BMP header is truncated")?;
    let compression = u32_at(30)?;
    if compression != 0 && compression != 3 || !(bpp == 24 || bpp == 32) {
        return Err(format!(
            "unsupported BMP ({bpp} bits, compression {compression})"
        ));
    }
    if width <= 0 || height == 0 || width > 4096 || height.unsigned_abs() > 4096 {
        return Err(format!("BMP size {width}x{height} is not plausible"));
    }
    let (w, h) = (width as usize, height.unsigned_abs() as usize);
    let px = bpp as usize / 8;
    let stride = (w * px).div_ceil(4) * 4;
    if bytes.len() < offset + stride * h {
        return Err("BMP pixel data is truncated".into());
    }
    let mut data = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        // Rows are stored bottom-up unless the height is negative.
        let row = if height > 0 { h - 1 - y } else { y };
        let start = offset + row * stride;
        for x in 0..w {
            let p = &bytes[start + x * px..start + x * px + 3];
            data.extend_from_slice(&[p[2], p[1], p[0]]);
        }
    }
    encode_png(&Rgb {
        width: w,
        height: h,
        data,
    })
}

#[cfg(test)]
mod bmp_tests {
    use super::*;

    #[test]
    fn a_bottom_up_24_bit_bmp_becomes_a_png() {
        // 2×2: bottom row blue, red; top row green, white. Rows padded to 8 bytes.
        let mut b = Vec::new();
        b.extend_from_slice(b"BM");
        b.extend_from_slice(&(54u32 + 16).to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&54u32.to_le_bytes());
        b.extend_from_slice(&40u32.to_le_bytes());
        b.extend_from_slice(&2i32.to_le_bytes());
        b.extend_from_slice(&2i32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&24u16.to_le_bytes());
        b.extend_from_slice(&[0; 24]);
        b.extend_from_slice(&[255, 0, 0, 0, 0, 255, 0, 0]); // bottom: blue, red (BGR)
        b.extend_from_slice(&[0, 255, 0, 255, 255, 255, 0, 0]); // top: green, white
        let png = bmp_to_png(&b).unwrap();
        let img = decode_png(&png).unwrap();
        assert_eq!((img.width, img.height), (2, 2));
        assert_eq!(&img.data[..6], &[0, 255, 0, 255, 255, 255], "top row first");
        assert_eq!(&img.data[6..], &[0, 0, 255, 255, 0, 0]);
        assert!(bmp_to_png(&b[..60]).is_err());
        assert!(bmp_to_png(b"BM fake photo").is_err());
    }
}
