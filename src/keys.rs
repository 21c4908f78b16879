//! `lianxin keys`: the steps of changing the encryption key without stopping the service
//! (README, “更换加密密钥”). The work is `lianxin_service::keys`; this is its command line.

use anyhow::{Result, anyhow};
use clap::Subcommand;

use crate::config::Config;

#[derive(Subcommand)]
pub enum KeysCmd {
    /// 打印固定索引密钥与审计密钥的配置行（更换加密密钥前，在原密钥下运行，把两行加入所有节点的配置）
    Pin,
    /// 生成一个新的加密密钥（base64）
    New,
    /// 把仍由其他密钥加密的个人数据改用当前密钥加密，完成后记录新密钥指纹（服务运行时可执行；中断后重新运行即可继续）
    Rotate,
}

pub async fn run(c: &Config, action: KeysCmd) -> Result<()> {
    match action {
        KeysCmd::New => {
            println!("{}", lianxin_service::Crypto::generate_key());
            Ok(())
        }
        KeysCmd::Pin => {
            let app = crate::open(c).await?;
            println!("index_key = \"{}\"", app.index_key_base64());
            println!("audit_key = \"{}\"", app.audit_key_base64());
            eprintln!(
                "把以上两行加入每个节点的 lianxin.toml（或设置 LIANXIN_INDEX_KEY、LIANXIN_AUDIT_KEY），逐个重启节点后再更换 encryption_key。"
            );
            Ok(())
        }
        KeysCmd::Rotate => {
            let app = crate::open(c).await?;
            let bar = crate::Progress::new("更换密钥");
            let r = lianxin_service::keys::rotate(&app, |d, a| bar.show(d as i64, a as i64))
                .await
                .map_err(|e| anyhow!("{e}"));
            bar.finish();
            let r = r?;
            println!(
                "已完成：{} 个加密值改用当前密钥（{} 个原已是当前密钥），数据库的密钥指纹已更新为当前密钥。确认所有节点都已使用新密钥后，可从 encryption_other_keys 中删去原密钥。",
                r.resealed, r.current
            );
            Ok(())
        }
    }
}
