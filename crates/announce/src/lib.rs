//! Call announcements (叫号播报): a chime, then the system voice says
//! “请 A012 号到 3 号窗口办理”. Announcements queue on one thread, so they never overlap; each is
//! repeated a configured number of times. A voice that fails is logged and its error kept for
//! the status bar; calling never waits for the voice.
//!
//! Linux speaks with `espeak-ng` (its Mandarin voice `cmn`) and plays the chime with `aplay`.
//! Windows uses SAPI through Windows PowerShell's `System.Speech` with a zh-CN voice (behind
//! `cfg(windows)`, untested: no Windows machine here); the command line it runs is made by
//! `windows_speech_command`, which is tested everywhere.

#[cfg(any(windows, test))]
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What the display shows and the voice reads.
pub fn call_text(ticket: &str, window: u32) -> String {
    format!("请 {ticket} 号到 {window} 号窗口办理")
}

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// A window number as said aloud: 3 → 三, 12 → 十二, 20 → 二十, 105 → 一百零五.
fn say_number(n: u32) -> String {
    match n {
        0..=9 => DIGITS[n as usize].into(),
        10..=19 => format!(
            "十{}",
            if n == 10 {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
        20..=99 => format!(
            "{}十{}",
            DIGITS[(n / 10) as usize],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
        _ => n
            .to_string()
            .chars()
            .map(|c| DIGITS[c.to_digit(10).unwrap_or(0) as usize])
            .collect(),
    }
}

/// The sentence for the voice: the ticket's letters as letters and its digits one by one
/// (A012 → “A 零一二”), the window as a number (3 → 三).
pub fn spoken_text(ticket: &str, window: u32) -> String {
    let mut t = String::new();
    for c in ticket.chars() {
        match c.to_digit(10) {
            Some(d) => t.push_str(DIGITS[d as usize]),
            // An offline ticket (W01-003): a short pause, never 减.
            None if c == '-' => t.push('，'),
            None => {
                t.push(c);
                t.push(' ');
            }
        }
    }
    format!("请，{}号，到{}号窗口办理", t.trim_end(), say_number(window))
}

/// Something that can make a sound: the chime, then `text`. Returns when the sound ended.
pub trait Voice: Send + 'static {
    fn say(&mut self, text: &str) -> Result<(), String>;
}

/// A 16-bit mono WAV of a two-note chime (ding-dong), 0.8 s.
pub fn chime_wav() -> Vec<u8> {
    let rate = 22_050u32;
    let mut samples = Vec::new();
    for (freq, secs) in [(880.0f32, 0.4f32), (660.0, 0.4)] {
        let n = (rate as f32 * secs) as usize;
        for i in 0..n {
            let t = i as f32 / rate as f32;
            let env = (-t * 6.0).exp();
            let v = (2.0 * std::f32::consts::PI * freq * t).sin() * env * 0.5;
            samples.push((v * i16::MAX as f32) as i16);
        }
    }
    wav(&samples, rate)
}

fn wav(samples: &[i16], rate: u32) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// A PCM WAV's length and its loudest sample (0–32767), from its header and data chunk.
pub fn wav_info(bytes: &[u8]) -> Result<(Duration, i16), String> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a WAV file".into());
    }
    let (mut pos, mut rate, mut align, mut bits) = (12usize, 0u32, 0u16, 0u16);
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().expect("4 bytes")) as usize;
        let body = pos + 8;
        if id == b"fmt " && body + 16 <= bytes.len() {
            rate = u32::from_le_bytes(bytes[body + 4..body + 8].try_into().expect("4 bytes"));
            align = u16::from_le_bytes(bytes[body + 12..body + 14].try_into().expect("2 bytes"));
            bits = u16::from_le_bytes(bytes[body + 14..body + 16].try_into().expect("2 bytes"));
        }
        if id == b"data" {
            if rate == 0 || align == 0 || bits != 16 {
                return Err("only 16-bit PCM WAV is read".into());
            }
            // espeak-ng writing to a file it cannot seek leaves the length at its maximum.
            let end = body.saturating_add(len).min(bytes.len());
            let data = &bytes[body..end];
            let peak = data
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]).saturating_abs())
                .max()
                .unwrap_or(0);
            let frames = data.len() / align as usize;
            return Ok((Duration::from_secs_f64(frames as f64 / rate as f64), peak));
        }
        pos = body + len + (len & 1);
    }
    Err("WAV file without data".into())
}

/// The machine's own voice: `aplay` for the chime, `espeak-ng -v cmn` for the words (Linux);
/// SAPI through PowerShell on Windows.
pub struct SystemVoice {
    chime: PathBuf,
    /// `espeak-ng` on Linux, Windows PowerShell on Windows.
    program: String,
}

/// The program that speaks. On Windows it is Windows PowerShell 5.1 (`powershell.exe`, in
/// every Windows 10 and 11, found on `PATH`), not PowerShell 7 (`pwsh`): `System.Speech` is a
/// .NET Framework assembly that PowerShell 7 cannot load.
#[cfg(not(windows))]
const SPEECH_PROGRAM: &str = "espeak-ng";
#[cfg(windows)]
const SPEECH_PROGRAM: &str = "powershell.exe";

/// The environment variables the Windows script reads the words and the chime's path from.
#[cfg(any(windows, test))]
const SAY_TEXT_VAR: &str = "ONEWINDOW_SAY_TEXT";
#[cfg(any(windows, test))]
const SAY_CHIME_VAR: &str = "ONEWINDOW_SAY_CHIME";

/// The PowerShell script that speaks on Windows. It is a constant: the words and the chime's
/// path reach it through the environment ([`SAY_TEXT_VAR`], [`SAY_CHIME_VAR`]), never through
/// its text, so no ticket or path can change what it runs, and the Chinese words need no
/// console code page (the environment goes to the process as UTF-16). One line, statements
/// joined by `;`, single quotes only: nothing in it needs quoting on the command line.
///
/// The chime is best effort (no sound card must not stop the words, as on Linux). The voice is
/// the first enabled zh-CN one (Microsoft Huihui Desktop comes with Windows' Chinese speech
/// pack); without one the script says so on stderr and exits 3 rather than let an English
/// voice read the Chinese text.
#[cfg(any(windows, test))]
const WINDOWS_SPEECH_SCRIPT: &str = "$ErrorActionPreference = 'Stop'; \
    Add-Type -AssemblyName System.Speech; \
    try { (New-Object System.Media.SoundPlayer $env:ONEWINDOW_SAY_CHIME).PlaySync() } catch { }; \
    $s = New-Object System.Speech.Synthesis.SpeechSynthesizer; \
    $v = $s.GetInstalledVoices() | Where-Object { $_.Enabled -and $_.VoiceInfo.Culture.Name -eq 'zh-CN' } | Select-Object -First 1; \
    if ($null -eq $v) { [Console]::Error.WriteLine('no zh-CN voice installed (Windows Chinese speech pack)'); exit 3 }; \
    $s.SelectVoice($v.VoiceInfo.Name); \
    $s.SetOutputToDefaultAudioDevice(); \
    $s.Speak($env:ONEWINDOW_SAY_TEXT)";

/// The command line that plays the chime at `chime` and says `text` on Windows: `program`
/// (Windows PowerShell) with its arguments, and the environment variables to set for it. The
/// script is [`WINDOWS_SPEECH_SCRIPT`], unchanged whatever `text` is.
#[cfg(any(windows, test))]
fn windows_speech_command(
    program: &str,
    chime: &Path,
    text: &str,
) -> (PathBuf, Vec<OsString>, Vec<(OsString, OsString)>) {
    let args = [
        "-NoLogo",
        "-NoProfile",
        "-NonInteractive",
        "-Command",
        WINDOWS_SPEECH_SCRIPT,
    ];
    (
        PathBuf::from(program),
        args.into_iter().map(OsString::from).collect(),
        vec![
            (SAY_TEXT_VAR.into(), text.into()),
            (SAY_CHIME_VAR.into(), chime.as_os_str().to_owned()),
        ],
    )
}

impl SystemVoice {
    /// Writes the chime into `dir` (the app's data folder) once.
    pub fn new(dir: &Path) -> SystemVoice {
        let chime = dir.join("chime.wav");
        if !chime.exists() {
            let _ = std::fs::create_dir_all(dir);
            if let Err(e) = std::fs::write(&chime, chime_wav()) {
                tracing::warn!(error = %e, "chime cannot be written");
            }
        }
        SystemVoice {
            chime,
            program: SPEECH_PROGRAM.into(),
        }
    }

    /// Uses another speech program (tests: one that is not there).
    pub fn with_program(mut self, program: &str) -> SystemVoice {
        self.program = program.into();
        self
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    match cmd.output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("{what} cannot be run: {e}")),
    }
}

impl Voice for SystemVoice {
    #[cfg(not(windows))]
    fn say(&mut self, text: &str) -> Result<(), String> {
        // No sound card (a server, a test machine) must not stop the words: the chime is best
        // effort, the voice is what counts.
        if let Err(e) = run(Command::new("aplay").arg("-q").arg(&self.chime), "aplay") {
            tracing::debug!(error = %e, "chime not played");
        }
        run(
            Command::new(&self.program).args(["-v", "cmn", "-s", "150", "--", text]),
            &self.program,
        )
    }

    #[cfg(windows)]
    fn say(&mut self, text: &str) -> Result<(), String> {
        use std::os::windows::process::CommandExt;
        /// No console window flashes up over the desk each time a number is called.
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        let (program, args, env) = windows_speech_command(&self.program, &self.chime, text);
        run(
            Command::new(program)
                .args(args)
                .envs(env)
                .creation_flags(CREATE_NO_WINDOW),
            "SAPI",
        )
    }
}

/// One sound as a [`WavVoice`] rendered and played it.
#[derive(Debug, Clone)]
pub struct Played {
    pub text: String,
    pub wav: PathBuf,
    pub length: Duration,
    pub peak: i16,
    pub started: Instant,
    pub ended: Instant,
}

/// Renders each announcement to a WAV file (the chime, then `espeak-ng -w`) and "plays" it by
/// taking as long as the sound lasts (divided by `speed`), recording when it started and
/// ended: what a sound card would do, for tests and machines without one.
pub struct WavVoice {
    dir: PathBuf,
    speed: f64,
    pub played: Arc<Mutex<Vec<Played>>>,
}

impl WavVoice {
    pub fn new(dir: &Path, speed: f64) -> WavVoice {
        WavVoice {
            dir: dir.to_path_buf(),
            speed,
            played: Arc::default(),
        }
    }
}

impl Voice for WavVoice {
    fn say(&mut self, text: &str) -> Result<(), String> {
        let n = self.played.lock().expect("lock").len();
        let words = self.dir.join(format!("words-{n}.wav"));
        run(
            Command::new("espeak-ng")
                .args(["-v", "cmn", "-s", "150", "-w"])
                .arg(&words)
                .arg("--")
                .arg(text),
            "espeak-ng",
        )?;
        let bytes = std::fs::read(&words).map_err(|e| e.to_string())?;
        let (speech, peak) = wav_info(&bytes)?;
        let (chime, _) = wav_info(&chime_wav())?;
        let length = chime + speech;
        let started = Instant::now();
        std::thread::sleep(length.div_f64(self.speed));
        self.played.lock().expect("lock").push(Played {
            text: text.into(),
            wav: words,
            length,
            peak,
            started,
            ended: Instant::now(),
        });
        Ok(())
    }
}

/// What the status bar shows of the announcer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnounceStatus {
    /// Announcements waiting or being spoken.
    pub pending: usize,
    pub spoken: u64,
    /// The last failure to speak, in Chinese, until a later announcement succeeds.
    pub last_error: Option<String>,
}

struct Shared {
    status: Mutex<AnnounceStatus>,
    idle: Condvar,
}

/// The announcement queue: one worker thread speaks them in order.
pub struct Announcer {
    tx: mpsc::Sender<String>,
    shared: Arc<Shared>,
    repeat: u32,
}

impl Announcer {
    /// Starts the worker. Each announcement is said `repeat` times (at least once).
    pub fn start(mut voice: impl Voice, repeat: u32) -> Announcer {
        let (tx, rx) = mpsc::channel::<String>();
        let shared = Arc::new(Shared {
            status: Mutex::new(AnnounceStatus::default()),
            idle: Condvar::new(),
        });
        let worker = shared.clone();
        std::thread::Builder::new()
            .name("announcer".into())
            .spawn(move || {
                for text in rx {
                    let result = voice.say(&text);
                    let mut st = worker.status.lock().expect("lock");
                    st.pending = st.pending.saturating_sub(1);
                    match result {
                        Ok(()) => {
                            st.spoken += 1;
                            st.last_error = None;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "announcement not spoken");
                            st.last_error = Some(format!("叫号语音播报失败：{e}"));
                        }
                    }
                    worker.idle.notify_all();
                }
            })
            .expect("announcer thread starts");
        Announcer {
            tx,
            shared,
            repeat: repeat.max(1),
        }
    }

    /// Queues “请 {ticket} 号到 {window} 号窗口办理”; returns at once.
    pub fn announce(&self, ticket: &str, window: u32) {
        let text = spoken_text(ticket, window);
        for _ in 0..self.repeat {
            self.shared.status.lock().expect("lock").pending += 1;
            if self.tx.send(text.clone()).is_err() {
                let mut st = self.shared.status.lock().expect("lock");
                st.pending = st.pending.saturating_sub(1);
                st.last_error = Some("叫号语音播报已停止".into());
            }
        }
    }

    pub fn status(&self) -> AnnounceStatus {
        self.shared.status.lock().expect("lock").clone()
    }

    /// Waits until nothing is pending; false on timeout.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let st = self.shared.status.lock().expect("lock");
        let (st, _) = self
            .shared
            .idle
            .wait_timeout_while(st, timeout, |s| s.pending > 0)
            .expect("lock");
        st.pending == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_read_the_way_a_hall_says_them() {
        assert_eq!(call_text("A012", 3), "请 A012 号到 3 号窗口办理");
        assert_eq!(spoken_text("A012", 3), "请，A 零一二号，到三号窗口办理");
        assert_eq!(spoken_text("B100", 12), "请，B 一零零号，到十二号窗口办理");
        assert_eq!(
            spoken_text("W01-003", 1),
            "请，W 零一，零零三号，到一号窗口办理"
        );
        assert_eq!(say_number(20), "二十");
        assert_eq!(say_number(47), "四十七");
        assert_eq!(say_number(105), "一零五");
    }

    #[test]
    fn the_chime_is_a_wav_of_its_length() {
        let (len, peak) = wav_info(&chime_wav()).unwrap();
        assert!((len.as_secs_f64() - 0.8).abs() < 0.01, "{len:?}");
        assert!(peak > 10_000);
        assert!(wav_info(b"not a wav").is_err());
    }

    /// Two announcements queued at once are rendered with espeak-ng and played one after the
    /// other: the second starts only when the first has ended.
    #[test]
    fn queued_announcements_never_overlap() {
        let dir = tempfile::tempdir().unwrap();
        let voice = WavVoice::new(dir.path(), 4.0);
        let played = voice.played.clone();
        let a = Announcer::start(voice, 1);
        a.announce("A012", 3);
        a.announce("B001", 12);
        assert_eq!(a.status().pending, 2, "queued, not waited for");
        assert!(a.wait_idle(Duration::from_secs(60)));
        let p = played.lock().unwrap().clone();
        assert_eq!(p.len(), 2);
        assert_eq!(a.status().spoken, 2);
        for s in &p {
            assert!(
                s.length > Duration::from_secs(2),
                "a whole sentence: {:?}",
                s.length
            );
            assert!(s.peak > 1000, "not silence");
            assert!(std::fs::metadata(&s.wav).unwrap().len() > 10_000);
        }
        assert!(p[0].text.contains("A 零一二") && p[1].text.contains("十二号窗口"));
        assert!(p[1].started >= p[0].ended, "the second waits for the first");
        let expected = p[0].length.div_f64(4.0);
        assert!(p[0].ended - p[0].started >= expected);
    }

    /// The Windows command line: Windows PowerShell running a script that never changes, with
    /// the words and the chime's path in its environment, whatever they contain.
    #[test]
    fn the_windows_voice_passes_the_words_outside_the_script() {
        let nasty = "请，A 零一二号'); Remove-Item C:\\ -Recurse; (\"$env:PATH`n";
        let chime = Path::new(r"C:\Users\张 三\AppData\Roaming\cn.onewindow.desk\chime.wav");
        let (program, args, env) = windows_speech_command("powershell.exe", chime, nasty);
        assert_eq!(program, PathBuf::from("powershell.exe"));
        assert_eq!(
            args,
            [
                "-NoLogo",
                "-NoProfile",
                "-NonInteractive",
                "-Command",
                WINDOWS_SPEECH_SCRIPT
            ]
            .map(OsString::from)
        );
        assert_eq!(
            env,
            vec![
                (OsString::from(SAY_TEXT_VAR), OsString::from(nasty)),
                (OsString::from(SAY_CHIME_VAR), chime.as_os_str().to_owned()),
            ]
        );
        // The same script for any words: nothing of them is in the arguments.
        let (_, other, _) =
            windows_speech_command("powershell.exe", chime, "请，B 一号，到二号窗口办理");
        assert_eq!(args, other);
        for a in &args {
            let a = a.to_str().unwrap();
            assert!(!a.contains("Remove-Item") && !a.contains('请') && !a.contains("AppData"));
        }
        // The script reads the variables the command sets, picks a zh-CN voice, and has
        // nothing the command line would have to quote or escape.
        let script = WINDOWS_SPEECH_SCRIPT;
        assert!(script.contains(&format!("$s.Speak($env:{SAY_TEXT_VAR})")));
        assert!(script.contains(&format!("SoundPlayer $env:{SAY_CHIME_VAR})")));
        assert!(script.contains("Culture.Name -eq 'zh-CN'"));
        assert!(script.contains("$s.SelectVoice($v.VoiceInfo.Name)"));
        assert!(!script.contains('"') && !script.contains('\\') && !script.contains('\n'));
        assert!(!script.contains("  "), "one line, single spaces: {script}");
        assert_eq!(script.matches('{').count(), script.matches('}').count());
        assert_eq!(script.matches('(').count(), script.matches(')').count());
    }

    #[test]
    fn a_voice_that_fails_is_reported_and_blocks_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let a = Announcer::start(
            SystemVoice::new(dir.path()).with_program("/nonexistent/espeak"),
            2,
        );
        let t = Instant::now();
        a.announce("A001", 1);
        assert!(
            t.elapsed() < Duration::from_millis(100),
            "announce never waits"
        );
        assert!(a.wait_idle(Duration::from_secs(10)));
        let st = a.status();
        assert_eq!(st.spoken, 0);
        assert!(st.last_error.unwrap().contains("叫号语音播报失败"));
        assert!(dir.path().join("chime.wav").exists());
    }
}
