use std::env;
use std::path::PathBuf;

pub struct Client {
    token: String,
    http: reqwest::blocking::Client,
}

impl Client {
    pub fn from_env() -> Option<Client> {
        let token = env::var("WEATHER_API_TOKEN").ok()?;
        Some(Client { token, http: reqwest::blocking::Client::new() })
    }

    pub fn forecast(&self, city: &str) -> reqwest::Result<String> {
        self.http
            .get(format!("https://api.weather.example/v1/forecast?city={city}"))
            .bearer_auth(&self.token)
            .send()?
            .text()
    }

    pub fn config_path() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("weather-api/config.toml"))
    }
}
