//! `anumati`: banking inside chat apps, where the customer decides what bank data moves.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anumati::config::Config;
use anumati::system::{System, DEMO_PASSWORD};
use anumati_bank::sim::{self, SimParams};
use anumati_store::DataDir;
use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

mod fraud;
mod nlu;
mod payments;
mod statements;

#[derive(Parser)]
#[command(
    name = "anumati",
    version,
    about = "Banking inside chat apps, where the customer decides what bank data moves."
)]
struct Cli {
    /// Configuration file (TOML); default ./anumati.toml when present.
    #[arg(long, global = true, env = "ANUMATI_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the bank node, consent manager and web chat in one process.
    Demo(DemoArgs),
    /// Fill a new bank with a seeded synthetic population.
    Simulate(SimArgs),
    /// Chat as a customer in the terminal (one message, or a prompt).
    Chat(ChatArgs),
    /// List the bank's customers (demo logins).
    Customers(CustomersArgs),
    /// Consents, for scripts.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// The bank node's own view, for operators.
    #[command(subcommand)]
    Bank(BankCommand),
    /// The consent manager's access log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Bank statement files (MT940/MT942, camt.052/053/054, OFX/QFX, CSV).
    #[command(subcommand)]
    Statement(StatementCommand),
    /// Import statement files into the bank node, all or nothing per file;
    /// entries already imported are skipped.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        data: DataArg,
        /// The bank customer the statements belong to.
        #[arg(long)]
        customer: String,
        /// Import a statement whose balances do not add up, with a warning.
        #[arg(long)]
        warn_unbalanced: bool,
        #[command(flatten)]
        defaults: StatementDefaults,
    },
    /// Benchmarks (not tests): figures for BENCHMARKS.md.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// The intent classifier: train, evaluate, split data, predict.
    #[command(subcommand)]
    Nlu(nlu::NluCommand),
    /// Fraud detection: evaluate the detector on a simulated period.
    #[command(subcommand)]
    Fraud(fraud::FraudCommand),
}

#[derive(Subcommand)]
enum StatementCommand {
    /// Parse a statement file and print its statements (format detected unless given).
    Parse {
        file: PathBuf,
        /// mt940, mt942, camt052, camt053, camt054, ofx (also QFX) or csv.
        #[arg(long, value_parser = ["mt940", "mt942", "camt052", "camt053", "camt054", "ofx", "csv"])]
        format: Option<String>,
        /// One JSON array of statements.
        #[arg(long)]
        json: bool,
        /// Report a statement whose balances do not add up as a warning instead of an error.
        #[arg(long)]
        warn_unbalanced: bool,
        #[command(flatten)]
        defaults: StatementDefaults,
    },
}

/// For statement files that do not say (most CSV exports).
#[derive(Args)]
struct StatementDefaults {
    /// CSV bank profile: hdfc, icici, sbi, chase, german, debit-credit, indicator or generic (inferred from the header row unless given).
    #[arg(long)]
    profile: Option<String>,
    /// Currency when the file names none, such as INR.
    #[arg(long)]
    currency: Option<String>,
    /// Account number when the file names none.
    #[arg(long)]
    account: Option<String>,
}

impl StatementDefaults {
    fn options(&self, warn_on_unbalanced: bool) -> anyhow::Result<anumati_formats::Options> {
        let currency = self
            .currency
            .as_deref()
            .map(|c| anumati_domain::Currency::new(&c.to_ascii_uppercase()))
            .transpose()
            .context("--currency")?;
        Ok(anumati_formats::Options {
            warn_on_unbalanced,
            currency,
            account: self.account.clone(),
            csv_profile: self.profile.clone(),
        })
    }
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the Merkle tree from every entry and check every signed tree head;
    /// exits non-zero when an entry was edited, removed, inserted or reordered.
    Verify {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Payments per second and latency through the bank's payment API (embedded).
    Payments {
        #[command(flatten)]
        data: DataArg,
        #[arg(long, default_value_t = 2_000)]
        payments: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Time `audit verify` over a log filled to ENTRIES entries.
    Audit {
        #[command(flatten)]
        data: DataArg,
        #[arg(long, default_value_t = 1_000_000)]
        entries: u64,
        /// Entries per signed tree head while filling.
        #[arg(long, default_value_t = 1_000)]
        per_head: u64,
    },
    /// Cost of one data request end to end (relay, verification, encryption, decryption).
    Fi {
        #[command(flatten)]
        data: DataArg,
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
    },
    /// Webhook → Send API reply latency and throughput (Telegram, loopback).
    Channels {
        #[command(flatten)]
        data: DataArg,
        /// Linked platform chats (spread over the customers).
        #[arg(long, default_value_t = 100_000)]
        senders: usize,
        /// Bank customers behind them (each is granted the default consent).
        #[arg(long, default_value_t = 1_000)]
        customers: usize,
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value = "what's my balance?")]
        message: String,
    },
    /// Chat turns per second and latency through the HTTP chat API.
    Chat {
        #[command(flatten)]
        data: DataArg,
        /// Distinct customers to chat as (each is granted the default consent).
        #[arg(long, default_value_t = 1_000)]
        users: usize,
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value = "what's my balance?")]
        message: String,
    },
}

#[derive(Args)]
struct DataArg {
    /// Data directory (one folder per role).
    #[arg(long, env = "ANUMATI_DATA")]
    data: Option<PathBuf>,
}

#[derive(Args)]
struct DemoArgs {
    #[command(flatten)]
    data: DataArg,
    /// Address to listen on.
    #[arg(long)]
    host: Option<String>,
    /// Port to listen on (0 picks a free one).
    #[arg(long)]
    port: Option<u16>,
    /// Customers to simulate when the bank is empty.
    #[arg(long, default_value_t = 300)]
    customers: u32,
    /// Months of history to simulate when the bank is empty.
    #[arg(long, default_value_t = 6)]
    months: u32,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Args)]
struct SimArgs {
    #[command(flatten)]
    data: DataArg,
    #[arg(long, default_value_t = 300)]
    customers: u32,
    #[arg(long, default_value_t = 6)]
    months: u32,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Last day of the history (YYYY-MM-DD); default today (UTC).
    #[arg(long)]
    end: Option<jiff::civil::Date>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Instead of filling a bank, write card authorisations and (apart)
    /// their fraud labels into --data DIR, for `anumati fraud eval`.
    #[arg(long, value_enum)]
    profile: Option<fraud::SimProfile>,
    /// Instead of filling a bank, send card authorisations to the bank in
    /// --data DIR (filled before) at --rate per second, with the consent
    /// manager and chat app in the same process, and report the alerts.
    #[arg(long, conflicts_with = "profile")]
    live: bool,
    /// Authorisations per second (with --live).
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// How long to run (with --live).
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// Run this long at the rate first, unmeasured (with --live): caches,
    /// connections and the detector's state warm up as in a bank that has
    /// been running.
    #[arg(long, default_value_t = 2)]
    warmup: u32,
    /// Grant a STREAM consent (fraud alerts) to this many customers first,
    /// standing in for them as `anumati consent grant` does (with --live).
    #[arg(long, default_value_t = 0)]
    grant_stream: u32,
}

#[derive(Args)]
struct ChatArgs {
    #[command(flatten)]
    data: DataArg,
    /// The customer's login.
    #[arg(long = "as", value_name = "LOGIN")]
    login: String,
    /// One JSON object per reply.
    #[arg(long)]
    json: bool,
    /// Answer this one message and exit; without it, open a prompt.
    message: Option<String>,
}

#[derive(Args)]
struct CustomersArgs {
    #[command(flatten)]
    data: DataArg,
    #[arg(long)]
    json: bool,
    /// Most customers to list.
    #[arg(long, default_value_t = 1_000)]
    limit: i64,
}

#[derive(Subcommand)]
enum ConsentCommand {
    /// Grant the chat app's default consent for LOGIN without the web page
    /// (the operator stands in for the customer's login at the bank).
    Grant {
        #[command(flatten)]
        data: DataArg,
        #[arg(long = "as", value_name = "LOGIN")]
        login: String,
        /// STORE (the app keeps an encrypted copy until its data life ends),
        /// VIEW (shown, never stored) or STREAM (live card events for fraud alerts).
        #[arg(long, default_value = "STORE", value_parser = ["STORE", "VIEW", "STREAM"])]
        mode: String,
    },
}

#[derive(Subcommand)]
enum BankCommand {
    /// Check every ledger invariant; exits non-zero on a violation.
    Verify {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        json: bool,
    },
    /// The SMS the bank sent to a customer (the simulated phone).
    Outbox {
        #[command(flatten)]
        data: DataArg,
        #[arg(long = "as", value_name = "LOGIN")]
        login: String,
        #[arg(long)]
        json: bool,
    },
    /// Balances of a customer's accounts, straight from the ledger.
    Balances {
        #[command(flatten)]
        data: DataArg,
        #[arg(long = "as", value_name = "LOGIN")]
        login: String,
        #[arg(long)]
        json: bool,
    },
}

fn data_dir(arg: &DataArg, config: &Config) -> PathBuf {
    arg.data.clone().unwrap_or_else(|| config.data.clone())
}

fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ANUMATI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = run(cli).await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A reader that went away (`anumati customers | head`) is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Demo(args) => {
            init_tracing(&config.log);
            demo(args, &config).await
        }
        Command::Simulate(args) => {
            init_tracing("warn");
            simulate(args, &config).await
        }
        Command::Chat(args) => {
            init_tracing("warn");
            chat(args, &config).await
        }
        Command::Customers(args) => {
            init_tracing("warn");
            customers(args, &config).await
        }
        Command::Consent(ConsentCommand::Grant { data, login, mode }) => {
            init_tracing("warn");
            let mode = match mode.as_str() {
                "VIEW" => anumati_domain::consent::ConsentMode::View,
                "STREAM" => anumati_domain::consent::ConsentMode::Stream,
                _ => anumati_domain::consent::ConsentMode::Store,
            };
            grant(&data_dir(&data, &config), &login, mode).await
        }
        Command::Statement(StatementCommand::Parse {
            file,
            format,
            json,
            warn_unbalanced,
            defaults,
        }) => {
            init_tracing("warn");
            statements::statement_parse(
                &file,
                format.as_deref().map(statements::format_named),
                json,
                defaults.options(warn_unbalanced)?,
            )
        }
        Command::Import {
            files,
            data,
            customer,
            warn_unbalanced,
            defaults,
        } => {
            init_tracing("warn");
            let options = defaults.options(warn_unbalanced)?;
            let system = open_existing(&data_dir(&data, &config)).await?;
            statements::import(&system, &files, &customer, options).await
        }
        Command::Audit(AuditCommand::Verify { data, json }) => {
            init_tracing("warn");
            audit_verify(&data_dir(&data, &config), json).await
        }
        Command::Bench(BenchCommand::Audit {
            data,
            entries,
            per_head,
        }) => {
            init_tracing("error");
            let system = open_existing(&data_dir(&data, &config)).await?;
            let report = anumati::bench::audit(&system, entries, per_head.max(1)).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Bench(BenchCommand::Fi { data, requests }) => {
            init_tracing("error");
            let system = open_existing(&data_dir(&data, &config)).await?;
            let report = anumati::bench::fi(&system, requests.max(1)).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Bench(BenchCommand::Channels {
            data,
            senders,
            customers,
            requests,
            concurrency,
            message,
        }) => {
            init_tracing("error");
            let system = open_existing(&data_dir(&data, &config)).await?;
            let report = anumati::bench_channels::channels(
                system,
                senders,
                customers,
                requests,
                concurrency,
                &message,
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Bench(BenchCommand::Chat {
            data,
            users,
            requests,
            concurrency,
            message,
        }) => {
            init_tracing("error");
            let system = open_existing(&data_dir(&data, &config)).await?;
            let report =
                anumati::bench::chat(system, users, requests, concurrency, &message).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Bank(BankCommand::Balances { data, login, json }) => {
            init_tracing("warn");
            bank_balances(&data_dir(&data, &config), &login, json).await
        }
        Command::Nlu(command) => nlu::run(command),
        Command::Bank(BankCommand::Verify { data, json }) => {
            init_tracing("warn");
            payments::verify(&data_dir(&data, &config), json).await
        }
        Command::Bank(BankCommand::Outbox { data, login, json }) => {
            init_tracing("warn");
            payments::outbox(&data_dir(&data, &config), &login, json).await
        }
        Command::Bench(BenchCommand::Payments {
            data,
            payments,
            concurrency,
        }) => {
            init_tracing("error");
            let report =
                payments::bench(&data_dir(&data, &config), payments, concurrency.max(1)).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Fraud(command) => {
            init_tracing("warn");
            fraud::run(command)
        }
    }
}

/// Fills an empty bank and gives every customer a chat login.
async fn populate(
    system: &System,
    params: &SimParams,
    show_progress: bool,
) -> anyhow::Result<sim::SimReport> {
    let existing = system.bank.store().customer_count().await?;
    if existing > 0 {
        bail!(
            "{}: the bank already has {existing} customers; simulate into a new --data folder",
            system.data.root().display()
        );
    }
    let bar = indicatif::ProgressBar::new(u64::from(params.customers));
    if show_progress {
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} simulating [{bar:40}] {pos}/{len} customers ({eta})",
            )
            .expect("template is valid")
            .progress_chars("=> "),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let progress = |done: u64| bar.set_position(done);
    let report = system.fill(params, &progress).await?;
    bar.finish_and_clear();
    Ok(report)
}

async fn simulate(args: SimArgs, config: &Config) -> anyhow::Result<()> {
    if args.live {
        let system = open_existing(&data_dir(&args.data, config)).await?;
        let params = anumati::live::LiveParams {
            rate: args.rate.max(1),
            seconds: args.seconds.max(1),
            warmup: args.warmup,
            seed: args.seed,
            grant_stream: args.grant_stream,
            concurrency: 256,
        };
        let report = system.run_live(&params, !args.json).await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!(
                "{} authorisations in {:.1} s ({:.0}/s): {} approved, {} declined, {} errors; {} alerts to {} customers with a STREAM consent",
                report.authorisations, report.seconds, report.rate_achieved, report.approved, report.declined, report.errors, report.alerts, report.streaming_customers
            );
            println!(
                "authorisation p50 {:.1} ms, p99 {:.1} ms; authorisation → alert in chat p50 {:.1} ms, p99 {:.1} ms; events dropped {}",
                report.authorisation_p50_ms, report.authorisation_p99_ms, report.alert_p50_ms, report.alert_p99_ms, report.stream_dropped
            );
        }
        return Ok(());
    }
    if let Some(profile) = args.profile {
        let Some(dir) = args.data.data.as_deref() else {
            bail!("--profile writes files: give --data DIR");
        };
        let (seed, customers, months) = (args.seed, args.customers, args.months);
        return fraud::simulate(profile, seed, customers, months, args.end, dir, args.json);
    }
    let data = DataDir::open_or_create(data_dir(&args.data, config))?;
    let system = System::open(data).await?;
    let params = SimParams {
        customers: args.customers,
        months: args.months,
        seed: args.seed,
        end: args.end.unwrap_or_else(|| {
            jiff::Zoned::now()
                .with_time_zone(jiff::tz::TimeZone::UTC)
                .date()
        }),
    };
    let started = std::time::Instant::now();
    let report = populate(&system, &params, !args.json && args.customers >= 1_000).await?;
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "report": report, "seconds": seconds })
        );
    } else {
        println!(
            "simulated {} customers, {} accounts, {} cards, {} merchants, {} transactions in {seconds:.1} s",
            report.customers, report.accounts, report.cards, report.merchants, report.transactions
        );
    }
    Ok(())
}

async fn demo(args: DemoArgs, config: &Config) -> anyhow::Result<()> {
    let data = DataDir::open_or_create(data_dir(&args.data, config))?;
    let system = System::open(data).await?;
    if system.bank.store().customer_count().await? == 0 {
        println!(
            "filling the bank with {} synthetic customers ({} months, seed {})…",
            args.customers, args.months, args.seed
        );
        let params = SimParams {
            customers: args.customers,
            months: args.months,
            seed: args.seed,
            end: jiff::Zoned::now()
                .with_time_zone(jiff::tz::TimeZone::UTC)
                .date(),
        };
        populate(&system, &params, true).await?;
    }
    if system.master_key_created {
        println!(
            "WARNING: created the chat app's master key at {}: back it up (or set ANUMATI_MASTER_KEY); without it the stored data cannot be read",
            system.data.role(anumati_store::Role::App).join("master.key").display()
        );
    }
    let system = std::sync::Arc::new(system);
    system.spawn_lifetime_worker(std::time::Duration::from_secs(30));
    let host = args.host.unwrap_or_else(|| config.host.clone());
    let port = args.port.unwrap_or(config.port);
    let listener = tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    let addr = listener.local_addr()?;
    let logins = system.bank.store().customers(0, 3).await?;
    println!(
        "anumati is running: bank node, consent manager and chat app, data in {}",
        system.data.root().display()
    );
    println!("web chat: http://{addr}");
    println!("bank node API: http://{addr}/bank/openapi.json · consent manager API: http://{addr}/cm/openapi.json · chat API: http://{addr}/openapi.json");
    println!("demo logins (password \"{DEMO_PASSWORD}\"):");
    for c in &logins {
        println!("  {:<24} {} ({}, {})", c.login, c.name, c.city, c.country);
    }
    let channels = config.channels()?;
    let public_url = config.public_url(addr);
    for (name, on) in [
        ("Messenger", channels.messenger.is_some()),
        ("WhatsApp", channels.whatsapp.is_some()),
        ("Telegram", channels.telegram.is_some()),
    ] {
        if on {
            println!(
                "{name} webhook: {public_url}/channels/{}/webhook",
                name.to_lowercase()
            );
        }
    }
    println!("press Ctrl-C to stop");
    std::io::stdout().flush()?;
    let router = system.router_with_channels(
        channels,
        anumati_app::channels::GatewayOptions::new(&public_url),
    );
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

async fn open_existing(path: &Path) -> anyhow::Result<System> {
    System::open(DataDir::open(path)?).await
}

async fn chat(args: ChatArgs, config: &Config) -> anyhow::Result<()> {
    let system = open_existing(&data_dir(&args.data, config)).await?;
    if !system.app.user_exists(&args.login).await? {
        bail!(
            "unknown login {:?} (list them with `anumati customers --data DIR`)",
            args.login
        );
    }
    let say = |reply: &anumati_app::Reply| {
        if args.json {
            println!(
                "{}",
                serde_json::to_string(reply).expect("reply serialises")
            );
        } else {
            println!("{}", reply.reply);
            if let Some(link) = &reply.link {
                println!("(open the web chat and link your bank: {link}, or run `anumati consent grant --as {}`)", args.login);
            }
        }
    };
    if let Some(message) = &args.message {
        let reply = system.app.chat(&args.login, message).await?;
        say(&reply);
        return Ok(());
    }
    let stdin = std::io::stdin();
    loop {
        if !args.json {
            print!("you> ");
            std::io::stdout().flush()?;
        }
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if matches!(line, "exit" | "quit") {
            break;
        }
        match system.app.chat(&args.login, line).await {
            Ok(reply) => say(&reply),
            Err(e) => eprintln!("error: {e}"),
        }
    }
    Ok(())
}

async fn customers(args: CustomersArgs, config: &Config) -> anyhow::Result<()> {
    let system = open_existing(&data_dir(&args.data, config)).await?;
    let customers = system
        .bank
        .store()
        .customers(0, args.limit.clamp(1, 1_000_000))
        .await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let list: Vec<_> = customers
            .iter()
            .map(|c| serde_json::json!({ "login": c.login, "name": c.name, "city": c.city, "country": c.country, "customer_id": c.id }))
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
    } else {
        for c in customers {
            writeln!(
                out,
                "{:<24} {:<28} {}, {}",
                c.login, c.name, c.city, c.country
            )?;
        }
    }
    Ok(())
}

async fn grant(
    path: &Path,
    login: &str,
    mode: anumati_domain::consent::ConsentMode,
) -> anyhow::Result<()> {
    let system = open_existing(path).await?;
    let (consent_id, accounts, status) =
        anumati::system::grant_consent(&system, login, mode).await?;
    println!("granted consent {consent_id} for {login}: {accounts} accounts, status {status}");
    Ok(())
}

async fn bank_balances(path: &Path, login: &str, json: bool) -> anyhow::Result<()> {
    let system = open_existing(path).await?;
    let Some((customer, _)) = system.bank.store().customer_by_login(login).await? else {
        bail!("unknown login {login:?}");
    };
    let mut shown = Vec::new();
    for account in system.bank.store().accounts_of(&customer.id).await? {
        let booked = system.bank.store().booked_balance(&account).await?;
        shown.push((account, booked));
    }
    if json {
        let balances: Vec<String> = shown.iter().map(|(_, b)| b.to_string()).collect();
        let accounts: Vec<_> = shown
            .iter()
            .map(|(a, b)| serde_json::json!({ "account_id": a.id, "kind": a.kind, "masked_number": a.masked_number, "booked": b }))
            .collect();
        println!(
            "{}",
            serde_json::json!({ "balances": balances, "accounts": accounts })
        );
    } else {
        for (a, b) in shown {
            println!("{} {} {}", a.kind.label(), a.masked_number, b);
        }
    }
    Ok(())
}

async fn audit_verify(path: &Path, json: bool) -> anyhow::Result<()> {
    let system = open_existing(path).await?;
    let started = std::time::Instant::now();
    let report =
        anumati_consent::log::verify_all(system.consent.store().pool(), &system.consent.key_set())
            .await?;
    let seconds = started.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            serde_json::json!({ "ok": report.ok(), "entries": report.entries, "signed_heads": report.signed_heads, "problems": report.problems, "seconds": seconds })
        );
    } else {
        for problem in &report.problems {
            println!("problem: {problem}");
        }
        println!(
            "{}: {} entries, {} signed tree heads checked in {seconds:.2} s",
            if report.ok() { "ok" } else { "TAMPERED" },
            report.entries,
            report.signed_heads
        );
    }
    if !report.ok() {
        bail!("the access log does not verify");
    }
    Ok(())
}
